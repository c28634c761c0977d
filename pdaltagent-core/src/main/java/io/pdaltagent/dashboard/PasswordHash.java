package io.pdaltagent.dashboard;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A dashboard password hash ({@code PDAGENTD_ADMIN_PASSWORD_HASH}): PBKDF2-HMAC-SHA256 from the
 * JDK, written in the PHC string format (passlib's {@code pbkdf2_sha256} hashes, which leave out
 * {@code i=} and write {@code .} for {@code +}, are read too):
 *
 * <pre>
 * $pbkdf2-sha256$i=600000$&lt;salt, base64 without padding&gt;$&lt;32-byte key, base64 without padding&gt;
 * </pre>
 *
 * {@link #create} uses {@link #ITERATIONS} and a 16-byte random salt; {@link #parse} accepts any
 * iteration count from {@link #MIN_ITERATIONS} (a stored hash keeps working when the default
 * rises). Verification derives the key with the hash's own salt and count and compares in constant
 * time. Immutable; thread-safe. The password itself is never kept.
 *
 * <p>Why PBKDF2 and not bcrypt or argon2: it ships in every JDK (no native code, no new
 * dependency on a 2-core relay), it is FIPS-approved, and OWASP's current advice for it (600,000
 * iterations of HMAC-SHA256) costs about a third of a second per login here, which the dashboard's
 * failed-login limit ({@link LoginThrottle}) makes the only price an attacker can make it pay.
 */
public final class PasswordHash {
    /** OWASP Password Storage Cheat Sheet (2023) for PBKDF2-HMAC-SHA256. */
    public static final int ITERATIONS = 600_000;
    /** Below this a stolen hash is cheap to crack: refused at start rather than trusted. */
    public static final int MIN_ITERATIONS = 100_000;
    /** Bounds the cost of one check (a login), so a hash cannot make the agent spin for minutes. */
    public static final int MAX_ITERATIONS = 10_000_000;
    static final int SALT_BYTES = 16;
    static final int KEY_BYTES = 32;
    /** A password is typed or pasted; anything longer is a mistake or an attack on the hash cost. */
    public static final int MAX_PASSWORD_CHARS = 1024;
    public static final int MIN_PASSWORD_CHARS = 12;
    private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    private static final Pattern PHC = Pattern.compile("\\$pbkdf2-sha256\\$(?:i=)?([0-9]{1,9})\\$([A-Za-z0-9+/.]{11,88})\\$([A-Za-z0-9+/.]{43})");

    private final int iterations;
    private final byte[] salt;
    private final byte[] key;

    private PasswordHash(int iterations, byte[] salt, byte[] key) {
        this.iterations = iterations;
        this.salt = salt;
        this.key = key;
    }

    /** A new hash of {@code password} with a fresh random salt and {@link #ITERATIONS}. */
    public static PasswordHash create(char[] password, SecureRandom random) {
        Objects.requireNonNull(password, "password");
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        return new PasswordHash(ITERATIONS, salt, derive(password, salt, ITERATIONS));
    }

    /**
     * Reads a PHC string; {@link IllegalArgumentException} with a reason that never repeats the
     * value (it is a secret to the extent that it can be attacked offline).
     */
    public static PasswordHash parse(String text) {
        Matcher m = PHC.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a PBKDF2-HMAC-SHA256 hash in the PHC format "
                    + "($pbkdf2-sha256$i=N$SALT$HASH); make one with: pdagentd hash-password");
        }
        int iterations = Integer.parseInt(m.group(1));
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("the iteration count must be from " + MIN_ITERATIONS + " to "
                    + MAX_ITERATIONS + ", was " + iterations);
        }
        byte[] salt = decode(m.group(2));
        byte[] key = decode(m.group(3));
        if (salt.length < 8) {
            throw new IllegalArgumentException("the salt must be at least 8 bytes");
        }
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("the hash must be " + KEY_BYTES + " bytes (HMAC-SHA256), was " + key.length);
        }
        return new PasswordHash(iterations, salt, key);
    }

    /** True when {@code password} is the one this hash was made from. */
    public boolean matches(char[] password) {
        if (password == null || password.length == 0 || password.length > MAX_PASSWORD_CHARS) {
            return false;
        }
        return MessageDigest.isEqual(derive(password, salt, iterations), key);
    }

    public int iterations() {
        return iterations;
    }

    /** The PHC string. */
    public String encoded() {
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return "$pbkdf2-sha256$i=" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(key);
    }

    @Override
    public String toString() {
        return "PasswordHash[pbkdf2-sha256, i=" + iterations + "]";
    }

    private static byte[] decode(String b64) {
        // passlib writes '.' for '+' ("adapted base64"); both spellings are read
        try {
            return Base64.getDecoder().decode(b64.replace('.', '+'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the salt or hash is not base64");
        }
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, KEY_BYTES * 8);
        try {
            return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
        } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
            throw new IllegalStateException("every JDK has " + ALGORITHM, e);
        } finally {
            spec.clearPassword();
        }
    }

    /** For tests: a hash with a chosen salt and count. */
    static PasswordHash of(char[] password, byte[] salt, int iterations) {
        return new PasswordHash(iterations, Arrays.copyOf(salt, salt.length), derive(password, salt, iterations));
    }
}
