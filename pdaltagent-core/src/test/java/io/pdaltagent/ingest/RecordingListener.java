package io.pdaltagent.ingest;

import io.pdaltagent.observe.AgentListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what ingest tells its listener, as lines like {@code "accepted /v2/enqueue"}. */
final class RecordingListener implements AgentListener {
    private final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void accepted(String path) {
        events.add("accepted " + path);
    }

    @Override
    public void rejected(String path, String reason) {
        events.add("rejected " + path + " " + reason);
    }

    List<String> events() {
        return List.copyOf(events);
    }
}
