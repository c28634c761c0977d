package io.pdaltagent.transform;

import java.time.LocalDateTime;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A five-field cron expression ({@code minute hour day-of-month month day-of-week}) as Vixie cron
 * reads it: {@code *}, numbers, ranges {@code a-b}, steps {@code * /n} and {@code a-b/n}, lists
 * {@code a,b}, month names {@code JAN}–{@code DEC}, day names {@code SUN}–{@code SAT} (0 and 7 are
 * Sunday); when both day fields are restricted, a day matching either fires. Matching is on a local
 * date-time (the window's time zone is applied by {@link MaintenanceWindow}). Immutable.
 */
final class CronSchedule {
    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
            "OCT", "NOV", "DEC");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    private final String source;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean domRestricted;
    private final boolean dowRestricted;

    private CronSchedule(String source, BitSet[] f, boolean domRestricted, boolean dowRestricted) {
        this.source = source;
        this.minutes = f[0];
        this.hours = f[1];
        this.daysOfMonth = f[2];
        this.months = f[3];
        this.daysOfWeek = f[4];
        this.domRestricted = domRestricted;
        this.dowRestricted = dowRestricted;
    }

    /** Parses a cron expression; throws {@link IllegalArgumentException} naming the bad field. */
    static CronSchedule parse(String expr) {
        String[] parts = expr.strip().split("\\s+");
        if (parts.length != 5) {
            throw new IllegalArgumentException("'" + expr + "' is no cron expression: 5 fields (minute hour day-of-month "
                    + "month day-of-week), not " + parts.length);
        }
        BitSet[] f = new BitSet[5];
        f[0] = field(parts[0], "minute", 0, 59, null, 0);
        f[1] = field(parts[1], "hour", 0, 23, null, 0);
        f[2] = field(parts[2], "day-of-month", 1, 31, null, 0);
        f[3] = field(parts[3], "month", 1, 12, MONTHS, 1);
        f[4] = field(parts[4], "day-of-week", 0, 7, DAYS, 0);
        if (f[4].get(7)) {
            f[4].set(0);
        }
        return new CronSchedule(expr.strip(), f, !parts[2].equals("*"), !parts[4].equals("*"));
    }

    private static BitSet field(String text, String name, int min, int max, List<String> names, int nameBase) {
        BitSet bits = new BitSet(max + 1);
        for (String item : text.split(",", -1)) {
            String range = item;
            int step = 1;
            int slash = item.indexOf('/');
            if (slash >= 0) {
                range = item.substring(0, slash);
                step = number(item.substring(slash + 1), name, 1, max, null, 0);
            }
            int lo;
            int hi;
            if (range.equals("*")) {
                lo = min;
                hi = max;
            } else {
                int dash = range.indexOf('-');
                lo = number(dash < 0 ? range : range.substring(0, dash), name, min, max, names, nameBase);
                hi = dash < 0 ? (slash >= 0 ? max : lo) : number(range.substring(dash + 1), name, min, max, names, nameBase);
                if (hi < lo) {
                    throw new IllegalArgumentException("cron " + name + " range '" + range + "' runs backwards");
                }
            }
            for (int v = lo; v <= hi; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String s, String name, int min, int max, List<String> names, int nameBase) {
        if (names != null) {
            int i = names.indexOf(s.toUpperCase(Locale.ROOT));
            if (i >= 0) {
                return i + nameBase;
            }
        }
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cron " + name + " '" + s + "' is not a number"
                    + (names == null ? "" : " or a name"));
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("cron " + name + " " + v + " is out of range (" + min + " to " + max + ")");
        }
        return v;
    }

    /** True when the schedule fires at this local minute. */
    boolean matches(LocalDateTime t) {
        if (!minutes.get(t.getMinute()) || !hours.get(t.getHour()) || !months.get(t.getMonthValue())) {
            return false;
        }
        boolean dom = daysOfMonth.get(t.getDayOfMonth());
        boolean dow = daysOfWeek.get(t.getDayOfWeek().getValue() % 7);
        if (domRestricted && dowRestricted) {
            return dom || dow;
        }
        return dom && dow;
    }

    @Override
    public String toString() {
        return source;
    }
}
