package io.pdaltagent.transform;

/**
 * Cheap tests of the shape a category's pattern needs at one position of a string (or anywhere in
 * it), run by {@link PiiText} before a pattern is tried, so that the regular expressions see only
 * the positions where they could match. Each test is a <em>necessary</em> condition of its pattern
 * matching there and its candidate check passing, read off the pattern: a test that says no is
 * never wrong, a test that says yes leaves the answer to the pattern. Characters are compared as
 * the patterns do ({@code \d} is ASCII {@code 0-9}). None allocates. Stateless.
 */
final class PiiShapes {
    /** The street types of {@link PiiText}'s street pattern, after a space: one must be in the string. */
    private static final String[] STREET_TYPES = {"Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd",
        "Lane", "Ln", "Drive", "Dr", "Court", "Ct", "Place", "Pl", "Terrace", "Ter", "Parkway", "Pkwy", "Circle", "Cir",
        "Highway", "Hwy", "Square", "Sq", "Way"};
    /** Digits a phone number has at the least (E.164 national numbers are longer). */
    static final int MIN_PHONE_DIGITS = 7;
    static final int MIN_CARD_DIGITS = 13;

    private PiiShapes() {
    }

    /** A test of one position of a string. */
    interface Start {
        boolean at(String s, int i);
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean digitAt(String s, int i) {
        return i < s.length() && isDigit(s.charAt(i));
    }

    /** {@code s[from, to)} is all digits (callers keep {@code to <= s.length()}). */
    static boolean digitsIn(String s, int from, int to) {
        for (int k = from; k < to; k++) {
            if (!isDigit(s.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    /** {@code ddd-dd-dddd} with its first dash at {@code i}. Called on every dash of a scan. */
    static boolean ssnShapeAt(String s, int i) {
        if (i < 3 || i + 8 > s.length()) {
            return false;
        }
        if (s.charAt(i + 3) != '-') {
            return false; // the cheap test first: most dashes (dates, UUIDs, names) end here
        }
        return digitsIn(s, i - 3, i) && digitsIn(s, i + 1, i + 3) && digitsIn(s, i + 4, i + 8);
    }

    /** An SSN starts at {@code i}: {@code ddd-dd-dddd}. */
    static boolean ssnAt(String s, int i) {
        return ssnShapeAt(s, i + 3);
    }

    /** An IPv4 address starts at {@code i}: one to three digits, then a dot. */
    static boolean ipv4At(String s, int i) {
        int n = s.length();
        int j = i;
        while (j < n && j - i < 3 && isDigit(s.charAt(j))) {
            j++;
        }
        return j > i && j < n && s.charAt(j) == '.';
    }

    /** A card number starts at {@code i}: 13 digits or more, with at most one space or dash between two. */
    static boolean cardAt(String s, int i) {
        int n = s.length();
        int digits = 0;
        for (int j = i; j < n; j++) {
            char c = s.charAt(j);
            if (isDigit(c)) {
                if (++digits >= MIN_CARD_DIGITS) {
                    return true;
                }
            } else if (!((c == ' ' || c == '-') && digits > 0 && isDigit(s.charAt(j - 1)) && digitAt(s, j + 1))) {
                return false;
            }
        }
        return false;
    }

    /**
     * A phone number can start at {@code i}: how one of the pattern's three forms begins
     * ({@code +} international; {@code (}, {@code 1-} or three digits and a separator North
     * American; {@code 0} trunk prefix), and at least {@link #MIN_PHONE_DIGITS} digits before the
     * first character no phone number holds (anything but digits, space, {@code . - ( ) +}).
     */
    static boolean phoneAt(String s, int i) {
        char c = s.charAt(i);
        boolean form = c == '+' || c == '(' || c == '0' || c == '1' && phoneSeparatorAt(s, i + 1)
                || digitAt(s, i) && digitAt(s, i + 1) && digitAt(s, i + 2) && phoneSeparatorAt(s, i + 3);
        if (!form) {
            return false;
        }
        int n = s.length();
        int digits = 0;
        for (int j = i; j < n; j++) {
            char d = s.charAt(j);
            if (isDigit(d)) {
                if (++digits >= MIN_PHONE_DIGITS) {
                    return true;
                }
            } else if (!(d == ' ' || d == '.' || d == '-' || d == '(' || d == ')' || d == '+')) {
                return false;
            }
        }
        return false;
    }

    private static boolean phoneSeparatorAt(String s, int i) {
        if (i >= s.length()) {
            return false;
        }
        char c = s.charAt(i);
        return c == ' ' || c == '.' || c == '-';
    }

    /** A street address starts at {@code i}: one to six digits, a capital letter or not, a space. */
    static boolean streetAt(String s, int i) {
        int n = s.length();
        int j = i;
        while (j < n && j - i < 6 && isDigit(s.charAt(j))) {
            j++;
        }
        if (j == i || j >= n) {
            return false;
        }
        char c = s.charAt(j);
        return c == ' ' || c >= 'A' && c <= 'Z' && j + 1 < n && s.charAt(j + 1) == ' ';
    }

    /** {@code s} has a street type (Street, Ave, Rd, …) right after a space: no street address without one. */
    static boolean hasStreetType(String s) {
        int n = s.length();
        for (int j = 1; j < n; j++) {
            char c = s.charAt(j);
            if (c < 'A' || c > 'Z' || s.charAt(j - 1) != ' ') {
                continue;
            }
            for (String t : STREET_TYPES) {
                if (t.charAt(0) == c && s.startsWith(t, j)) {
                    return true;
                }
            }
        }
        return false;
    }
}
