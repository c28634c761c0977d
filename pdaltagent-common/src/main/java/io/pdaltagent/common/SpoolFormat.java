package io.pdaltagent.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;

/**
 * The agent's spool: where an event waits, one file each, until the agent imports it (pd-send when
 * the agent cannot be reached, {@code pdagentd import-pdagent}). Writers (pdaltagent-cli's
 * {@code Spool}, the import) and the reader (the agent's {@code SpoolImporter}) share this layout.
 *
 * <ul>
 *   <li><b>Where:</b> {@code <data dir>/}{@value #DIR_NAME}{@code /}, mode {@code 1733}: anyone may
 *       create a file in it, only the agent may list it, and the sticky bit keeps users from removing
 *       each other's files.</li>
 *   <li><b>Names:</b> {@code <epoch millis, 13 digits>-<19 digits>-<origin>-<hex>.event}, so that name
 *       order is queue order ({@link #fileName}); names starting with a dot are temporary.</li>
 *   <li><b>Content:</b> a JSON object, version {@value #FORMAT_VERSION}:
 *       {@code {"version":1,"path":"/v2/enqueue","content_type":"application/json","body":"{...}",
 *       "queued_at":"2025-01-01T00:00:00.123Z","queued_by":"nagios"}}; {@code body} is the exact body
 *       the tool would have posted to {@code path}.</li>
 *   <li><b>Writing</b> ({@link #write}): a temporary name created exclusively (no link followed, mode
 *       {@code 0600} while written), flushed, then mode {@code 0644} (the agent, another user, must
 *       read it whatever the writer's umask), renamed atomically: the agent never sees half a file.
 *       Other users cannot read it all the same: they may not list the spool, and names are random.</li>
 * </ul>
 * Stateless; thread-safe.
 */
public final class SpoolFormat {
    public static final String DIR_NAME = "spool";
    public static final String SUFFIX = ".event";
    public static final int FORMAT_VERSION = 1;
    /** rwx-wx-wt: anyone may drop a file in, only the owner may list; sticky. */
    public static final int DIR_MODE = 01733;
    /** rw-r--r--: readable by the agent whoever wrote it. */
    public static final Set<PosixFilePermission> FILE_PERMISSIONS = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

    /** rw-------: the temporary file while it is being written. */
    static final Set<PosixFilePermission> PRIVATE_PERMISSIONS = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private SpoolFormat() {
    }

    /** The spool of a data dir. */
    public static Path dir(Path dataDir) {
        return dataDir.resolve(DIR_NAME);
    }

    /**
     * {@code <epoch millis, 13 digits>-<sequence, 19 digits>-<origin>-<16 hex digits of randomness>.event}.
     *
     * @param sequence orders files of the same millisecond (pd-send: its monotonic nanos; an import: its index)
     * @param origin the writer's pid, or a word ({@code pdagent}); digits, letters and dashes
     */
    public static String fileName(long epochMillis, long sequence, String origin) {
        byte[] r = new byte[8];
        new SecureRandom().nextBytes(r);
        StringBuilder b = new StringBuilder(64);
        pad(b, epochMillis, 13);
        b.append('-');
        pad(b, sequence & Long.MAX_VALUE, 19);
        b.append('-').append(origin).append('-');
        for (byte x : r) {
            b.append(HEX[x >> 4 & 0xf]).append(HEX[x & 0xf]);
        }
        return b.append(SUFFIX).toString();
    }

    /**
     * Writes {@code content} as {@code dir/name} atomically and durably; an existing file of that
     * name is replaced (a writer that derives names from its input may write the same event again).
     */
    public static Path write(Path dir, String name, byte[] content) throws IOException {
        Path tmp = dir.resolve("." + name + ".tmp");
        Path target = dir.resolve(name);
        boolean moved = false;
        try {
            // O_CREAT|O_EXCL|O_NOFOLLOW, and 0600 from the first byte: nothing planted under the name
            // (a link, a file) is followed or written, and no one reads the event before it is whole
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PRIVATE_PERMISSIONS))) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            // chmod is not subject to the umask; without following a link (the JDK opens O_NOFOLLOW, then fchmod)
            Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setPermissions(FILE_PERMISSIONS);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
        syncDirectory(dir);
        return target;
    }

    /** Makes the rename durable where the directory can be opened (not when only the agent may list it). */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // best effort: the file's own content is on disk already
        }
    }

    private static void pad(StringBuilder b, long v, int width) {
        String s = Long.toString(v);
        for (int i = s.length(); i < width; i++) {
            b.append('0');
        }
        b.append(s);
    }
}
