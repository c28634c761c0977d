package io.pdaltagent.observe;

/** Masks secrets for logs: a routing key shows only its last four characters. */
public final class Mask {
    private Mask() {
    }

    /** {@code "****cdef"} for a key ending in cdef; {@code "****"} for a key of four or fewer. */
    public static String key(String key) {
        if (key == null) {
            return "null";
        }
        return key.length() <= 4 ? "****" : "****" + key.substring(key.length() - 4);
    }

    /** A URL with any user-info password replaced by {@code ****}. */
    public static String url(String url) {
        if (url == null) {
            return "null";
        }
        return url.replaceAll("(//[^:/@]+):[^@/]*@", "$1:****@");
    }
}
