package io.pdaltagent.delivery;

import io.pdaltagent.queue.QueuedItem;
import java.io.IOException;

/** Makes one delivery attempt. Implementations are thread-safe and keep connections alive. */
public interface Sender {
    /** How much of an answer's body is kept (for the dead-letter record and logs). */
    int MAX_ANSWER_BYTES = 4096;

    /**
     * Posts the item's body to its destination.
     *
     * @throws IOException when no HTTP answer came (connect failure, reset, timeout)
     * @throws InterruptedException when the agent is stopping
     */
    HttpResult send(QueuedItem item) throws IOException, InterruptedException;
}
