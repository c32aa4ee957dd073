package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The library's file writes on a real file system: a new file with exactly the mode asked, an
 * existing file replaced, and every failure answered by "no" with nothing of its own left behind
 * and nothing else touched (the JDK's way then writes the file or names the problem:
 * SecretFilesTest runs the whole step over both ways).
 */
class NativeFilesTest {
  private static final byte[] VALUE = "the-value\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  @BeforeAll
  static void libraryBuilt() {
    assumeTrue(
        System.getProperty(NativeFernet.LIBRARY_PROPERTY) != null,
        "no JNI library built here (Debian: apt-get install gcc libssl-dev)");
    assertThat(NativeFernet.available()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"r--------", "rw-------", "r--r-----", "rw-r--r--", "rwxrwxrwx", "---------"})
  void writesANewFileWithExactlyTheModeAsked(String mode) throws Exception {
    Set<PosixFilePermission> permissions = PosixFilePermissions.fromString(mode);
    Path out = dir.resolve("token");
    Path tmp = dir.resolve("..token.tmp");

    assertThat(NativeFiles.writeNew(tmp, out, VALUE, permissions)).isTrue();

    assertThat(Files.readAllBytes(out)).isEqualTo(VALUE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo(mode);
    assertThat(tmp).doesNotExist();
  }

  @Test
  void theModeBitsAreThoseChmodTakes() {
    assertThat(NativeFiles.bits(PosixFilePermissions.fromString("r--------"))).isEqualTo(0400);
    assertThat(NativeFiles.bits(PosixFilePermissions.fromString("rw-r-----"))).isEqualTo(0640);
    assertThat(NativeFiles.bits(PosixFilePermissions.fromString("--x-w-r--"))).isEqualTo(0124);
    assertThat(NativeFiles.bits(EnumSet.allOf(PosixFilePermission.class))).isEqualTo(0777);
    assertThat(NativeFiles.bits(Set.of())).isZero();
  }

  @Test
  void replacesAnExistingReadOnlyFile() throws Exception {
    Path out = Files.writeString(dir.resolve("token"), "the-old-value");
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("r--------"));

    assertThat(
            NativeFiles.writeNew(
                dir.resolve("..token.tmp"),
                out,
                VALUE,
                PosixFilePermissions.fromString("r--------")))
        .isTrue();

    assertThat(Files.readAllBytes(out)).isEqualTo(VALUE);
    assertThat(dir.resolve("..token.tmp")).doesNotExist();
  }

  @Test
  void aTemporaryFileAlreadyThereIsLeftAloneAndNothingIsWritten() throws Exception {
    Path tmp = Files.writeString(dir.resolve("..token.tmp"), "left-by-an-earlier-run");
    Path out = dir.resolve("token");

    assertThat(NativeFiles.writeNew(tmp, out, VALUE, PosixFilePermissions.fromString("r--------")))
        .isFalse();

    assertThat(Files.readString(tmp)).isEqualTo("left-by-an-earlier-run");
    assertThat(out).doesNotExist();
  }

  @Test
  void aLinkPutInTheTemporaryFilesPlaceIsNotFollowed() throws Exception {
    Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "not-to-be-touched");
    Path tmp = Files.createSymbolicLink(dir.resolve("..token.tmp"), elsewhere);
    Path dangling = Files.createSymbolicLink(dir.resolve("..other.tmp"), dir.resolve("nothing"));

    assertThat(
            NativeFiles.writeNew(
                tmp, dir.resolve("token"), VALUE, PosixFilePermissions.fromString("rw-------")))
        .isFalse();
    assertThat(
            NativeFiles.writeNew(
                dangling,
                dir.resolve("other"),
                VALUE,
                PosixFilePermissions.fromString("rw-------")))
        .isFalse();

    assertThat(Files.readString(elsewhere)).isEqualTo("not-to-be-touched");
    assertThat(dir.resolve("nothing")).doesNotExist();
    assertThat(dir.resolve("token")).doesNotExist();
  }

  @Test
  void aFailedRenameRemovesTheTemporaryFileAndLeavesTheTargetAsItWas() throws Exception {
    // A non-empty directory where the file should go: rename(2) refuses to replace it.
    Path out = Files.createDirectories(dir.resolve("token"));
    Files.writeString(out.resolve("inside"), "kept");
    Path tmp = dir.resolve("..token.tmp");

    assertThat(NativeFiles.writeNew(tmp, out, VALUE, PosixFilePermissions.fromString("r--------")))
        .isFalse();

    assertThat(tmp).doesNotExist();
    assertThat(Files.readString(out.resolve("inside"))).isEqualTo("kept");
  }

  @Test
  void aMissingDirectoryOrAPathThatIsNotAsciiIsRefused() throws Exception {
    Set<PosixFilePermission> mode = PosixFilePermissions.fromString("r--------");
    Path missing = dir.resolve("missing");
    assertThat(NativeFiles.writeNew(missing.resolve("..t.tmp"), missing.resolve("t"), VALUE, mode))
        .isFalse();
    assertThat(missing).doesNotExist();

    Path accented = dir.resolve("clé");
    assertThat(NativeFiles.writeNew(dir.resolve("..clé.tmp"), accented, VALUE, mode)).isFalse();
    assertThat(accented).doesNotExist();
    try (var listing = Files.list(dir)) {
      assertThat(listing).isEmpty();
    }
  }

  @Test
  void anEmptyValueMakesAnEmptyFile() throws Exception {
    Path out = dir.resolve("empty");
    assertThat(
            NativeFiles.writeNew(
                dir.resolve("..empty.tmp"),
                out,
                new byte[0],
                PosixFilePermissions.fromString("r--------")))
        .isTrue();
    assertThat(Files.size(out)).isZero();
  }
}
