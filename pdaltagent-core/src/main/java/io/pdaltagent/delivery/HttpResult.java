package io.pdaltagent.delivery;

/**
 * What the destination answered.
 *
 * @param retryAfter the raw {@code Retry-After} header, or null
 * @param body the start of the answer's body (at most {@link Sender#MAX_ANSWER_BYTES}), as text
 */
public record HttpResult(int status, String retryAfter, String body) {
}
