// Sends events through @pagerduty/pdjs, as a Node application would, to the agent given as
// server (host:port; pdjs always uses https://). Used by RealClientsIT.
//
//   node pdjs-events.js <host:port> <routing key>
//
// Steps, one after the other: a trigger without a dedup key (the agent must assign one), an
// acknowledge and a resolve with the key the trigger's answer carried, then a change event. Each
// answer is printed as one JSON line: {"step":..., "status":..., "contentType":..., "data":...}.
// A failure (TLS, connection, unparseable answer) prints {"step":..., "error":..., "code":...} and
// exits 1. The agent's certificate is trusted only through NODE_EXTRA_CA_CERTS: verification stays on.
'use strict';

const {trigger, acknowledge, resolve, change} = require('@pagerduty/pdjs');

const [server, routingKey] = process.argv.slice(2);
if (!server || !routingKey) {
  console.error('usage: node pdjs-events.js <host:port> <routing key>');
  process.exit(2);
}

function print(step, response) {
  console.log(JSON.stringify({
    step,
    status: response.status,
    contentType: response.headers.get('content-type'),
    data: response.data,
  }));
  return response;
}

async function main() {
  let step = 'trigger';
  try {
    const triggered = print(step, await trigger({
      server,
      data: {
        routing_key: routingKey,
        payload: {
          summary: 'pdjs: disk 95% on db01',
          source: 'db01.example.net',
          severity: 'error',
          component: 'disk',
          group: 'db',
          class: 'capacity',
          custom_details: {used_pct: 95, mount: '/var'},
        },
        links: [{href: 'https://mon.example.net/db01', text: 'Dashboard'}],
        images: [{src: 'https://mon.example.net/db01.png', alt: 'graph'}],
        client: 'pdjs example',
        client_url: 'https://mon.example.net',
      },
    }));
    const dedupKey = triggered.data && triggered.data.dedup_key;

    step = 'acknowledge';
    print(step, await acknowledge({server, data: {routing_key: routingKey, dedup_key: dedupKey}}));

    step = 'resolve';
    print(step, await resolve({server, data: {routing_key: routingKey, dedup_key: dedupKey}}));

    step = 'change';
    print(step, await change({
      server,
      data: {
        routing_key: routingKey,
        payload: {
          summary: 'pdjs: deployed api v1.2.3',
          source: 'ci.example.net',
          timestamp: '2024-05-01T10:00:00.000Z',
          custom_details: {build: 1234},
        },
        links: [{href: 'https://ci.example.net/builds/1234', text: 'Build'}],
      },
    }));
  } catch (e) {
    const code = (e && (e.code || (e.cause && e.cause.code))) || null;
    console.log(JSON.stringify({step, error: String(e && e.message), code}));
    process.exit(1);
  }
}

main();
