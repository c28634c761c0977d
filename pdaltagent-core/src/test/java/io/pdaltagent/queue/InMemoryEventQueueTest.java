package io.pdaltagent.queue;

import io.pdaltagent.testing.EventQueueContract;
import io.pdaltagent.testing.ManualClock;

class InMemoryEventQueueTest extends EventQueueContract {
    @Override
    protected EventQueue newQueue(ManualClock clock, long maxOpen) {
        return new InMemoryEventQueue(clock, maxOpen);
    }
}
