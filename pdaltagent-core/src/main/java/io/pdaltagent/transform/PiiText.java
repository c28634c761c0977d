package io.pdaltagent.transform;

import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds and replaces personal data in one string. Each category is a pattern for candidates plus,
 * where a checksum or range exists, a check of the candidate (Luhn and issuer prefixes for cards,
 * ISO 7064 mod 97 for IBANs, octet ranges for IPv4, group counts for IPv6, SSA rules for SSNs), so
 * that the numbers monitoring text is full of (timestamps, epoch seconds, UUIDs, versions, ports,
 * durations, hashes, pod names, order numbers) survive. Boundaries are strict: a candidate that
 * touches a letter, digit or joiner ({@code . - : / _}) on either side is part of something longer
 * and is left alone.
 *
 * <p>A cheap pass over the string first counts digits and notes the characters each category needs
 * ({@code @}, {@code :}, an upper-case letter), so most strings never reach a regular expression.
 * Stateless and thread-safe: patterns are compiled once.
 */
final class PiiText {
    /** Not inside a longer token: no word character or joiner before. */
    private static final String START = "(?<![\\w.@:/+-])";
    /** Not inside a longer token: no word character after, no joiner followed by more of it. */
    private static final String END = "(?![\\w@]|[.:/-][\\w])";

    private static final Pattern EMAIL = Pattern.compile(
            "(?<![\\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@"
                    + "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}(?![\\w-]|\\.[A-Za-z0-9]|:[\\w/~])");
    private static final Pattern IPV6 = Pattern.compile(
            "(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\\d{1,3}\\.){3}\\d{1,3})?(?:%[A-Za-z0-9]+)?"
                    + "(?![\\w:]|\\.\\w)");
    private static final Pattern IPV4 = Pattern.compile(
            "(?<![\\w.:-])(?:\\d{1,3}\\.){3}\\d{1,3}(?![\\w-]|\\.\\d)");
    private static final Pattern IBAN = Pattern.compile(
            "(?<![\\w-])[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\\w-])");
    private static final Pattern CARD = Pattern.compile(
            START + "\\d(?:[ -]?\\d){12,18}" + END);
    private static final Pattern SSN = Pattern.compile(
            START + "(\\d{3})-(\\d{2})-(\\d{4})" + END);
    private static final Pattern PHONE = Pattern.compile(
            // international: +CC then 6 to 14 more digits in groups, optionally with (0) or (area)
            START + "(?<!\\d[ .-])(?:\\+\\d{1,3}(?:[ .-]?\\(0?\\d{1,4}\\))?(?:[ .-]?\\d{1,5}){2,5}"
                    // North American: (415) 555-0132, 415-555-0132, 415.555.0132, 1-800-555-0199
                    + "|(?:1[ .-])?(?:\\(\\d{3}\\) ?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}"
                    // trunk-prefixed national numbers: 020 7946 0958, 030-1234567, 06 12 34 56 78
                    + "|0\\d{1,4}(?:[ -]\\d{2,8}){1,4})" + END);
    private static final Pattern PO_BOX = Pattern.compile(
            "(?<![\\w])(?:P\\.? ?O\\.?|Post Office) ?Box #? ?\\d{1,8}(?!\\w)", Pattern.CASE_INSENSITIVE);
    private static final Pattern STREET = Pattern.compile(
            "(?<![\\w.:/-])\\d{1,6}[A-Z]? (?:(?:[NSEW]|North|South|East|West)\\.? )?(?:[A-Z][a-z]+|\\d{1,3}(?:st|nd|rd|th))"
                    + "(?: [A-Z][a-z]+){0,3} (?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct"
                    + "|Place|Pl|Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Way)\\b\\.?"
                    + "(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor)\\.? #?\\w{1,6})?");

    /** A year-month-day run (2024-05-01, 2024 05 01): a date, not a phone number. */
    private static final Pattern DATE_LIKE = Pattern.compile(
            "(?:19|20)\\d{2}[ .-](?:0[1-9]|1[0-2])[ .-](?:0[1-9]|[12]\\d|3[01])");
    private static final Pattern IPV4_TAIL = Pattern.compile("(?:\\d{1,3}\\.){3}\\d{1,3}");

    /** Digits a category needs at the least before its pattern is tried. */
    private static final int MIN_PHONE_DIGITS = PiiShapes.MIN_PHONE_DIGITS;
    private static final int MIN_CARD_DIGITS = PiiShapes.MIN_CARD_DIGITS;
    private static final int MIN_SSN_DIGITS = 9;
    private static final int MIN_IBAN_LENGTH = 15;
    private static final int MAX_IBAN_LENGTH = 34;
    /** How card numbers are printed when grouped: 4-4-4-4 (and 19-digit 4-4-4-4-3), Amex 4-6-5, Diners 4-6-4. */
    private static final Set<String> CARD_GROUPINGS = Set.of("4,4,4,4", "4,4,4,4,3", "4,6,5", "4,6,4", "4,4,4,1");

    /** In {@link PiiCategory}'s order, the order of the scrub. */
    private final PiiCategory[] categories;

    /**
     * ASCII characters the scan only needs to see go by (they are no digit, no run separator
     * {@code space - . ( ) +}, no {@code @ :}, no {@code x} of "box", no capital); every character
     * above ASCII is one too.
     */
    private static final boolean[] PLAIN = new boolean[128];

    /** ASCII letters and digits, as {@link Character#isLetterOrDigit} says of them. */
    private static final boolean[] ASCII_WORD = new boolean[128];

    static {
        for (char c = 0; c < PLAIN.length; c++) {
            ASCII_WORD[c] = Character.isLetterOrDigit(c);
            PLAIN[c] = !(c >= '0' && c <= '9' || " -.()+@:xX".indexOf(c) >= 0 || isUpper(c));
        }
    }

    /** False only in the test that checks the shape tests against trying every token start. */
    private final boolean shapeTests;

    PiiText(Set<PiiCategory> categories) {
        this(categories, true);
    }

    /** With {@code shapeTests} false, every pattern is tried at every token start (slower, same result). */
    PiiText(Set<PiiCategory> categories, boolean shapeTests) {
        this.categories = EnumSet.copyOf(categories).toArray(PiiCategory[]::new);
        this.shapeTests = shapeTests;
    }

    private PiiShapes.Start shape(PiiShapes.Start start) {
        return shapeTests ? start : (s, i) -> true;
    }

    /** {@code s} with every finding replaced by its placeholder; {@code s} itself when there is none. */
    String scrub(String s) {
        int digits = 0;
        int colons = 0;
        int dots = 0;
        boolean at = false;
        boolean doubleColon = false;
        boolean dash = false; // an SSN's shape: ddd-dd-dddd around this dash
        boolean ibanStart = false; // two upper-case letters, then two digits
        boolean box = false; // "box" in any case
        boolean streetStart = false; // a digit (and a letter: 221B), a space, an upper-case letter
        int run = 0; // digits in the current run of digits and single separators
        int maxRun = 0;
        char prev = 0;
        char[] a = s.toCharArray(); // read from an array: no index or coder check per character
        int n = a.length;
        for (int i = 0; i < n; i++) {
            char c = a[i];
            if (c >= PLAIN.length || PLAIN[c]) {
                run = 0; // most characters: no category looks at them, and they end a run of digits
                prev = c;
                continue;
            }
            if (c >= '0' && c <= '9') {
                digits++;
                run++;
                if (run > maxRun) {
                    maxRun = run;
                }
                if (i >= 3 && prev >= '0' && prev <= '9' && isUpper(a[i - 2]) && isUpper(a[i - 3])) {
                    ibanStart = true;
                }
            } else {
                if (!(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+') || !(prev >= '0' && prev <= '9'
                        || prev == ' ' || prev == '(' || prev == ')' || prev == '+' || prev == '-' || prev == '.')) {
                    run = 0;
                }
                switch (c) {
                    case '@' -> at = true;
                    case ':' -> {
                        colons++;
                        if (prev == ':') {
                            doubleColon = true;
                        }
                    }
                    case '.' -> dots++;
                    case '-' -> dash |= PiiShapes.ssnShapeAt(s, i);
                    case 'x', 'X' -> box |= i >= 2 && (a[i - 1] | 0x20) == 'o' && (a[i - 2] | 0x20) == 'b';
                    default -> {
                        if (isUpper(c) && prev == ' ' && i >= 2 && (Character.isDigit(a[i - 2])
                                || i >= 3 && isUpper(a[i - 2]) && Character.isDigit(a[i - 3]))) { // 221B Baker
                            streetStart = true;
                        }
                    }
                }
            }
            prev = c;
        }
        if (digits == 0 && !at && !doubleColon) {
            return s; // every category needs a digit, an @ or (IPv6 ::1) a double colon
        }
        String out = s;
        for (PiiCategory c : categories) {
            out = switch (c) {
                case EMAIL -> at ? replace(out, EMAIL, c, null) : out;
                case IPV6 -> doubleColon || colons >= 7 ? replace(out, IPV6, c, PiiText::isIpv6) : out;
                case IP -> dots >= 3 && digits >= 4 ? replaceAtTokens(out, IPV4, c, shape(PiiShapes::ipv4At), PiiText::isIpv4) : out;
                case IBAN -> ibanStart && digits >= 2 ? replace(out, IBAN, c, PiiText::isIban) : out;
                case CREDIT_CARD -> maxRun >= MIN_CARD_DIGITS
                        ? replaceAtTokens(out, CARD, c, shape(PiiShapes::cardAt), PiiText::isCard) : out;
                case SSN -> dash && digits >= MIN_SSN_DIGITS ? replaceAtTokens(out, SSN, c, shape(PiiShapes::ssnAt), PiiText::isSsn) : out;
                case PHONE -> maxRun >= MIN_PHONE_DIGITS
                        ? replaceAtTokens(out, PHONE, c, shape(PiiShapes::phoneAt), PiiText::isPhone) : out;
                case PO_BOX -> box && digits > 0 ? replace(out, PO_BOX, c, null) : out;
                case STREET_ADDRESS -> streetStart && (!shapeTests || PiiShapes.hasStreetType(out))
                        ? replaceAtTokens(out, STREET, c, shape(PiiShapes::streetAt), null) : out;
            };
        }
        return out;
    }

    private static boolean isUpper(char c) {
        return c >= 'A' && c <= 'Z';
    }

    /** A candidate check: true when the matched text really is of the category. */
    private interface Check {
        boolean test(Matcher m);
    }

    /**
     * Like {@link #replace} for the patterns that start with a digit, {@code +} or {@code (} at the
     * start of a token: tries the pattern only at such positions where {@code start} (its shape
     * there, see {@link PiiShapes}) holds, anchored there, its look-behind seeing the text before,
     * instead of at every position of the string. No matcher is made for a string without one.
     */
    private static String replaceAtTokens(String s, Pattern p, PiiCategory c, PiiShapes.Start start, Check check) {
        Matcher m = null;
        StringBuilder b = null;
        int last = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            if (!(ch >= '0' && ch <= '9' || ch == '+' || ch == '(')) {
                continue;
            }
            if (i > 0) {
                char before = s.charAt(i - 1);
                if ((before < 128 ? ASCII_WORD[before] : Character.isLetterOrDigit(before)) || before == '_' || before == '.' || before == '-' || before == ':'
                        || before == '/' || before == '@' || before == '+' || before == '(') {
                    continue; // inside a token: no candidate starts here
                }
            }
            if (!start.at(s, i)) {
                continue;
            }
            if (m == null) {
                m = p.matcher(s).useTransparentBounds(true).useAnchoringBounds(false);
            }
            m.region(i, n);
            if (m.lookingAt() && (check == null || check.test(m))) {
                if (b == null) {
                    b = new StringBuilder(n);
                }
                b.append(s, last, m.start()).append(c.placeholder);
                last = m.end();
                i = m.end() - 1;
            }
        }
        if (b == null) {
            return s;
        }
        return b.append(s, last, n).toString();
    }

    private static String replace(String s, Pattern p, PiiCategory c, Check check) {
        Matcher m = p.matcher(s);
        StringBuilder b = null;
        int last = 0;
        while (m.find()) {
            if (check != null && !check.test(m)) {
                continue;
            }
            if (b == null) {
                b = new StringBuilder(s.length());
            }
            b.append(s, last, m.start()).append(c.placeholder);
            last = m.end();
        }
        if (b == null) {
            return s;
        }
        return b.append(s, last, s.length()).toString();
    }

    /** Four octets (the pattern's {@code d.d.d.d}, 1 to 3 digits each) of 0 to 255 without a leading zero. */
    private static boolean isIpv4(Matcher m) {
        String g = m.group();
        int octet = 0;
        int len = 0;
        boolean leadingZero = false;
        for (int i = 0; i <= g.length(); i++) {
            char c = i < g.length() ? g.charAt(i) : '.';
            if (c == '.') {
                if (len > 1 && leadingZero || octet > 255) {
                    return false; // 010.1.1.1 is no address people write; 300.1.1.1 is none at all
                }
                octet = 0;
                len = 0;
            } else {
                leadingZero = len == 0 ? c == '0' : leadingZero;
                octet = octet * 10 + (c - '0');
                len++;
            }
        }
        return true;
    }

    /** 8 groups, or fewer with one {@code ::}; an IPv4 tail counts two; at least two hex digits. */
    private static boolean isIpv6(Matcher m) {
        String a = m.group();
        int pct = a.indexOf('%');
        if (pct >= 0) {
            a = a.substring(0, pct);
        }
        int dc = a.indexOf("::");
        if (dc >= 0 && a.indexOf("::", dc + 1) >= 0) {
            return false;
        }
        if (a.contains(":::")) {
            return false;
        }
        String[] groups = a.split(":", -1);
        int count = 0;
        int hex = 0;
        boolean hasLetterOrZeroRun = false;
        for (int i = 0; i < groups.length; i++) {
            String g = groups[i];
            if (g.isEmpty()) {
                continue;
            }
            if (g.indexOf('.') >= 0) {
                if (i != groups.length - 1 || !IPV4_TAIL.matcher(g).matches()) {
                    return false;
                }
                count += 2;
                hex += 2;
                continue;
            }
            if (g.length() > 4) {
                return false;
            }
            count++;
            hex += g.length();
            for (int k = 0; k < g.length(); k++) {
                if (!Character.isDigit(g.charAt(k))) {
                    hasLetterOrZeroRun = true;
                }
            }
        }
        if (dc < 0) {
            // no "::": exactly 8 groups, none empty (a clock time 10:00:00 has 3)
            return count == 8 && groups.length == 8 || count == 8 && a.contains(".");
        }
        if (!(count < 8 && hex >= 1)) {
            return false;
        }
        // "::" with digits only and few groups is more often code or a time than an address, but
        // "::1" and "fe80::1" are addresses: require a letter, or the loopback, or 3+ groups
        return hasLetterOrZeroRun || count >= 3 || a.equals("::1");
    }

    private static boolean isIban(Matcher m) {
        String iban = m.group().replace(" ", "");
        if (iban.length() < MIN_IBAN_LENGTH || iban.length() > MAX_IBAN_LENGTH) {
            return false;
        }
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        int mod = 0;
        for (int i = 0; i < rearranged.length(); i++) {
            char c = rearranged.charAt(i);
            int v = Character.isDigit(c) ? c - '0' : c - 'A' + 10;
            mod = v >= 10 ? (mod * 100 + v) % 97 : (mod * 10 + v) % 97;
        }
        return mod == 1;
    }

    /** Luhn-valid, 13 to 19 digits, and an issuer's prefix (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay). */
    private static boolean isCard(Matcher m) {
        String g = m.group();
        String sep = null;
        StringBuilder d = new StringBuilder(19);
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (Character.isDigit(c)) {
                d.append(c);
            } else if (sep == null) {
                sep = String.valueOf(c);
            } else if (!sep.equals(String.valueOf(c))) {
                return false; // mixed separators: not how a card number is written
            }
        }
        if (sep != null && !CARD_GROUPINGS.contains(groupLengths(g, sep.charAt(0)))) {
            return false; // 3704 0044 0532 0130 01 is the tail of an IBAN, no card as printed
        }
        String n = d.toString();
        if (n.length() < 13 || n.length() > 19 || !hasIssuerPrefix(n)) {
            return false;
        }
        int sum = 0;
        boolean dbl = false;
        for (int i = n.length() - 1; i >= 0; i--) {
            int v = n.charAt(i) - '0';
            if (dbl) {
                v *= 2;
                if (v > 9) {
                    v -= 9;
                }
            }
            sum += v;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }

    private static String groupLengths(String g, char sep) {
        StringBuilder b = new StringBuilder();
        int len = 0;
        for (int i = 0; i < g.length(); i++) {
            if (g.charAt(i) == sep) {
                b.append(len).append(',');
                len = 0;
            } else {
                len++;
            }
        }
        return b.append(len).toString();
    }

    private static boolean hasIssuerPrefix(String n) {
        int p2 = Integer.parseInt(n.substring(0, 2));
        int p4 = Integer.parseInt(n.substring(0, 4));
        int p3 = p4 / 10;
        return n.charAt(0) == '4'                          // Visa
                || (p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720) // Mastercard
                || p2 == 34 || p2 == 37                    // American Express
                || p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) // Discover
                || p2 == 35                                // JCB
                || p2 == 36 || p2 == 38 || (p3 >= 300 && p3 <= 305) // Diners Club
                || p2 == 62;                               // UnionPay
    }

    /** The SSA's rules: area not 000, 666 or 9xx; group not 00; serial not 0000. */
    private static boolean isSsn(Matcher m) {
        int area = Integer.parseInt(m.group(1));
        return area != 0 && area != 666 && area < 900 && !m.group(2).equals("00") && !m.group(3).equals("0000");
    }

    /** 7 to 15 digits (E.164's maximum), and not a date or a clock time in disguise. */
    private static boolean isPhone(Matcher m) {
        String g = m.group();
        int digits = 0;
        for (int i = 0; i < g.length(); i++) {
            if (Character.isDigit(g.charAt(i))) {
                digits++;
            }
        }
        if (digits < MIN_PHONE_DIGITS || digits > 15) {
            return false;
        }
        // 2024-05-01 12 / 2024 05 01: a year-month-day run is a date
        return !DATE_LIKE.matcher(g).lookingAt() && g.indexOf('e') < 0 && g.indexOf('E') < 0;
    }
}
