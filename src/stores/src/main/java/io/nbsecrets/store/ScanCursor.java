package io.nbsecrets.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * A position in a whole-store scan: the (user, name) of the last record handled. Scans run in
 * {@link #ORDER}: by user, then by name, each compared as UTF-8 bytes (unsigned), which is also
 * PostgreSQL's {@code COLLATE "C"} and Vault's sort order. A cursor holds no secret; it may be
 * saved (a rotation saves it to resume).
 */
public record ScanCursor(String user, String name) implements Comparable<ScanCursor> {

  /** Strings in UTF-8 byte order (code point order). */
  public static final Comparator<String> UTF8_ORDER = ScanCursor::compareUtf8;

  /** The scan order: user, then name. */
  public static final Comparator<ScanCursor> ORDER =
      Comparator.comparing(ScanCursor::user, UTF8_ORDER)
          .thenComparing(ScanCursor::name, UTF8_ORDER);

  public ScanCursor {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(name, "name");
  }

  /** The cursor just past {@code record}. */
  public static ScanCursor after(ScannedSecret record) {
    return new ScanCursor(record.user(), record.secret().name());
  }

  /** Whether {@code (user, name)} comes after this cursor; everything comes after {@code null}. */
  public static boolean isAfter(ScanCursor cursor, String user, String name) {
    return cursor == null || ORDER.compare(new ScanCursor(user, name), cursor) > 0;
  }

  @Override
  public int compareTo(ScanCursor other) {
    return ORDER.compare(this, other);
  }

  private static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
