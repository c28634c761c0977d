package io.pdaltagent.webhook;

/** The activity store cannot be read or written; the message says what it was doing. */
public final class ActivityStoreException extends RuntimeException {
    public ActivityStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
