package io.pdaltagent.queue;

/** The store cannot take or give items now (disk error, closed, broker gone). */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreUnavailableException(String message) {
        super(message);
    }
}
