package io.pdaltagent.admin;

/** A {@code pd-queue} failure: the one-line reason it prints and the exit code (1 failed, 2 usage). */
final class PdQueueException extends RuntimeException {
    private final int exitCode;

    PdQueueException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
