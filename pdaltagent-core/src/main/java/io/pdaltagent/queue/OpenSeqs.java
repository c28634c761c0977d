package io.pdaltagent.queue;

import java.util.Arrays;

/**
 * The sequence numbers of one ordering key's open items, ascending: the embedded store's in-memory
 * index of heads (8 bytes per queued item), so that a claim reads rows by primary key and an append
 * dirties no index page of the key's own. Thread-safe through its monitor.
 */
final class OpenSeqs {
    private long[] seqs = new long[4];
    private int start;
    private int size;

    /** Adds a sequence number, keeping the order (new items come last; retried dead ones anywhere). */
    synchronized void add(long seq) {
        if (size == seqs.length) {
            long[] grown = new long[seqs.length * 2];
            for (int i = 0; i < size; i++) {
                grown[i] = seqs[(start + i) % seqs.length];
            }
            seqs = grown;
            start = 0;
        }
        int i = size;
        // shift larger ones up by one; for an append (the usual case) the loop does not run
        while (i > 0 && at(i - 1) > seq) {
            seqs[(start + i) % seqs.length] = at(i - 1);
            i--;
        }
        seqs[(start + i) % seqs.length] = seq;
        size++;
    }

    /** The head, or -1 when there is none. */
    synchronized long first() {
        return size == 0 ? -1 : seqs[start];
    }

    /** Removes a sequence number (normally the head); returns whether it was there. */
    synchronized boolean remove(long seq) {
        if (size > 0 && seqs[start] == seq) {
            start = (start + 1) % seqs.length;
            size--;
            return true;
        }
        for (int i = 1; i < size; i++) {
            if (at(i) == seq) {
                for (int j = i; j < size - 1; j++) {
                    seqs[(start + j) % seqs.length] = at(j + 1);
                }
                size--;
                return true;
            }
        }
        return false;
    }

    synchronized boolean isEmpty() {
        return size == 0;
    }

    synchronized int size() {
        return size;
    }

    private long at(int i) {
        return seqs[(start + i) % seqs.length];
    }

    @Override
    public synchronized String toString() {
        long[] out = new long[size];
        for (int i = 0; i < size; i++) {
            out[i] = at(i);
        }
        return Arrays.toString(out);
    }
}
