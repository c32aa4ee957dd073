package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.crypto.Fernet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {
  @TempDir Path tmp;
  Path sealed;
  Path target;
  String key;

  @BeforeEach
  void setUp() throws Exception {
    sealed = Files.createDirectories(tmp.resolve("sealed"));
    target = Files.createDirectories(tmp.resolve("secrets"));
    key = Fernet.generateKey();
  }

  private void seal(String name, byte[] value) throws Exception {
    Files.writeString(sealed.resolve(name), Fernet.fromKey(key).encrypt(value));
  }

  private List<String> listTarget() throws Exception {
    try (Stream<Path> s = Files.list(target)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesEachSecretWithMode0400UnderItsFileName() throws Exception {
    seal("API_KEY", "sk-123".getBytes(StandardCharsets.UTF_8));
    byte[] binary = {0, 1, 2, (byte) 0xff};
    seal("blob", binary);
    List<Path> written =
        SecretFiles.write(
            SecretFiles.parseManifest(
                "[{\"name\":\"API_KEY\",\"file\":\"api-key\"},{\"name\":\"blob\",\"file\":\"blob\"}]"),
            sealed,
            key,
            target,
            "r--------");
    assertThat(written).hasSize(2);
    assertThat(Files.readString(target.resolve("api-key"))).isEqualTo("sk-123");
    assertThat(Files.readAllBytes(target.resolve("blob"))).isEqualTo(binary);
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("api-key"))))
        .isEqualTo("r--------");
    assertThat(listTarget()).containsExactly("api-key", "blob");
  }

  @Test
  void secretsWithAVariableGoToTheEnvFileTooAndTheOthersOnlyToTheirFiles() throws Exception {
    seal("api-key", "sk-'123'".getBytes(StandardCharsets.UTF_8));
    seal("db", "pw".getBytes(StandardCharsets.UTF_8));
    Path envFile = Files.createDirectories(tmp.resolve("env")).resolve("env.sh");
    List<Path> written =
        SecretFiles.write(
            SecretFiles.parseManifest(
                "[{\"name\":\"api-key\",\"file\":\"api-key\",\"env\":\"API_KEY\"},"
                    + "{\"name\":\"db\",\"file\":\"db\"}]"),
            sealed,
            key,
            target,
            "r--------",
            envFile);
    assertThat(written).hasSize(2);
    assertThat(Files.readString(envFile)).isEqualTo("export API_KEY='sk-'\\''123'\\'''\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(envFile)))
        .isEqualTo("r--------");
    assertThat(listTarget()).containsExactly("api-key", "db");
  }

  @Test
  void aValueThatCannotBeAVariableFailsTheStepBeforeAnyFileIsWritten() throws Exception {
    seal("a-first", "fine".getBytes(StandardCharsets.UTF_8));
    seal("blob", new byte[] {'x', 0, 'y'});
    Path envFile = tmp.resolve("env.sh");
    assertThatThrownBy(
            () ->
                SecretFiles.write(
                    SecretFiles.parseManifest(
                        "[{\"name\":\"a-first\",\"file\":\"a-first\"},"
                            + "{\"name\":\"blob\",\"file\":\"blob\",\"env\":\"BLOB\"}]"),
                    sealed,
                    key,
                    target,
                    "r--------",
                    envFile))
        .isInstanceOfSatisfying(
            InitException.class, e -> assertThat(e.reason()).isEqualTo(EnvFile.REFUSED))
        .hasMessageContaining("secret blob (environment variable BLOB)")
        .hasMessageContaining("NUL byte");
    assertThat(listTarget()).isEmpty();
    assertThat(envFile).doesNotExist();
  }

  @Test
  void twoSecretsUnderOneVariableAreRefused() throws Exception {
    seal("a", "1".getBytes(StandardCharsets.UTF_8));
    seal("b", "2".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(
            () ->
                SecretFiles.write(
                    SecretFiles.parseManifest(
                        "[{\"name\":\"a\",\"file\":\"a\",\"env\":\"X\"},"
                            + "{\"name\":\"b\",\"file\":\"b\",\"env\":\"X\"}]"),
                    sealed,
                    key,
                    target,
                    "r--------",
                    tmp.resolve("env.sh")))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("two secrets would be exported as environment variable X");
    assertThat(listTarget()).isEmpty();
  }

  @Test
  void aSecretNamedLikeAnothersTemporaryFileIsWrittenToo() throws Exception {
    seal("token", "the-token".getBytes(StandardCharsets.UTF_8));
    seal(".token.tmp", "the-other".getBytes(StandardCharsets.UTF_8));
    List<Path> written =
        SecretFiles.write(
            SecretFiles.parseManifest(
                "[{\"name\":\".token.tmp\",\"file\":\".token.tmp\"},"
                    + "{\"name\":\"token\",\"file\":\"token\"}]"),
            sealed,
            key,
            target,
            "r--------");
    assertThat(written).hasSize(2);
    assertThat(listTarget()).containsExactly(".token.tmp", "token");
    assertThat(Files.readString(target.resolve("token"))).isEqualTo("the-token");
    assertThat(Files.readString(target.resolve(".token.tmp"))).isEqualTo("the-other");
  }

  @Test
  void aTemporaryFileLeftByAnInterruptedRunIsReplacedAndAFileRewritten() throws Exception {
    seal("token", "the-new-token".getBytes(StandardCharsets.UTF_8));
    // What a run stopped between create and rename leaves (read-only, as a final file would be),
    // and the file an earlier run wrote.
    Path leftover = Files.writeString(target.resolve("..token.tmp"), "half-written");
    Files.setPosixFilePermissions(leftover, PosixFilePermissions.fromString("r--------"));
    Path earlier = Files.writeString(target.resolve("token"), "the-old-token");
    Files.setPosixFilePermissions(earlier, PosixFilePermissions.fromString("r--------"));

    SecretFiles.write(
        SecretFiles.parseManifest("[{\"name\":\"token\",\"file\":\"token\"}]"),
        sealed,
        key,
        target,
        "r--r-----");

    assertThat(listTarget()).containsExactly("token");
    assertThat(Files.readString(target.resolve("token"))).isEqualTo("the-new-token");
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("token"))))
        .isEqualTo("r--r-----");
  }

  @Test
  void aFailureWritesNothing() throws Exception {
    seal("A", "one".getBytes(StandardCharsets.UTF_8));
    Files.writeString(sealed.resolve("B"), "gAAAAAB-corrupted-token");
    var files =
        SecretFiles.parseManifest(
            "[{\"name\":\"A\",\"file\":\"A\"},{\"name\":\"B\",\"file\":\"B\"}]");
    assertThatThrownBy(() -> SecretFiles.write(files, sealed, key, target, "r--------"))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("secret B cannot be decrypted");
    assertThat(listTarget()).isEmpty();
  }

  @Test
  void wrongUserKeyIsRefused() throws Exception {
    seal("A", "one".getBytes(StandardCharsets.UTF_8));
    var files = SecretFiles.parseManifest("[{\"name\":\"A\",\"file\":\"A\"}]");
    assertThatThrownBy(
            () -> SecretFiles.write(files, sealed, Fernet.generateKey(), target, "r--------"))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("cannot be decrypted");
    assertThat(listTarget()).isEmpty();
  }

  @Test
  void pathsOutsideTheMountPathAreRefused() throws Exception {
    seal("A", "one".getBytes(StandardCharsets.UTF_8));
    for (String file : List.of("../escape", "/etc/passwd", "..", "a/b")) {
      var files = List.of(new SecretFiles.FileSpec("A", file));
      assertThatThrownBy(() -> SecretFiles.write(files, sealed, key, target, "r--------"))
          .as(file)
          .isInstanceOf(InitException.class)
          .hasMessageContaining("file name");
    }
    assertThat(Files.exists(tmp.resolve("escape"))).isFalse();
    assertThat(listTarget()).isEmpty();
  }

  @Test
  void missingSealedValueAndBadManifestFailClearly() throws Exception {
    assertThatThrownBy(
            () ->
                SecretFiles.write(
                    List.of(new SecretFiles.FileSpec("GONE", "GONE")),
                    sealed,
                    key,
                    target,
                    "r--------"))
        .hasMessageContaining("secret GONE is missing");
    assertThatThrownBy(() -> SecretFiles.parseManifest("{not json"))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("NBSECRETS_FILES");
    assertThatThrownBy(() -> SecretFiles.write(List.of(), sealed, "not-a-key", target, "r--------"))
        .hasMessageContaining("malformed user key");
  }

  @Test
  void rewritingReplacesFilesAtomically() throws Exception {
    seal("A", "one".getBytes(StandardCharsets.UTF_8));
    var files = List.of(new SecretFiles.FileSpec("A", "A"));
    SecretFiles.write(files, sealed, key, target, "r--------");
    seal("A", "two".getBytes(StandardCharsets.UTF_8));
    SecretFiles.write(files, sealed, key, target, "r--r-----");
    assertThat(Files.readString(target.resolve("A"))).isEqualTo("two");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("A"))))
        .isEqualTo("r--r-----");
    assertThat(listTarget()).containsExactly("A");
  }

  // ------------------------------------------------------------------ the list of files

  @Test
  void theListOfFilesIsReadFromTheMountedSecretAndVersionsAreIgnored() throws Exception {
    seal("API_KEY", "sk-1".getBytes(StandardCharsets.UTF_8));
    Files.writeString(
        sealed.resolve(SecretFiles.MANIFEST_FILE),
        "[{\"name\":\"API_KEY\",\"file\":\"api-key\",\"version\":3}]");
    // The secret file wins over a stale environment variable.
    List<SecretFiles.FileSpec> files = SecretFiles.readManifest(sealed, "[]");
    assertThat(files).containsExactly(new SecretFiles.FileSpec("API_KEY", "api-key"));
    SecretFiles.write(files, sealed, key, target, "r--------");
    assertThat(Files.readString(target.resolve("api-key"))).isEqualTo("sk-1");
  }

  @Test
  void aPodOfAnEarlierSnapshotReadsTheListFromItsEnvironment() throws Exception {
    assertThat(SecretFiles.readManifest(sealed, "[{\"name\":\"API_KEY\",\"file\":\"api-key\"}]"))
        .containsExactly(new SecretFiles.FileSpec("API_KEY", "api-key"));
  }

  @Test
  void noListAnywhereIsAnErrorNotAnEmptySession() {
    assertThatThrownBy(() -> SecretFiles.readManifest(sealed, null))
        .isInstanceOf(InitException.class)
        .hasMessageContaining("has no list of files")
        .hasMessageContaining("NBSECRETS_FILES is not set");
  }

  @Test
  void aThousandFilesWith128CharacterNamesAreWrittenFromTheMountedList() throws Exception {
    StringBuilder json = new StringBuilder("[");
    String token = Fernet.fromKey(key).encrypt("v".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 1000; i++) {
      String name = String.format("%04d-", i) + "n".repeat(123);
      Files.writeString(sealed.resolve(name), token);
      json.append(i == 0 ? "" : ",")
          .append("{\"name\":\"")
          .append(name)
          .append("\",\"file\":\"")
          .append(name)
          .append("\",\"version\":1}");
    }
    Files.writeString(sealed.resolve(SecretFiles.MANIFEST_FILE), json.append(']'));
    assertThat(json.length()).isGreaterThan(256 * 1024);
    assertThat(
            SecretFiles.write(
                SecretFiles.readManifest(sealed, null), sealed, key, target, "r--------"))
        .hasSize(1000);
    assertThat(listTarget()).hasSize(1000);
  }
}
