package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {
  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = Commands.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void everyRoleIsASubcommand() {
    Run help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("operator", "api", "init", "dev", "rotate-keys");
    for (String role : new String[] {"operator", "api", "init", "dev", "rotate-keys"}) {
      Run sub = run(role, "--help");
      assertThat(sub.exit()).as(role).isZero();
      assertThat(sub.out()).as(role).contains("Usage: nbsecrets " + role);
    }
    assertThat(run("rotate-keys", "--help").out())
        .contains("--platform", "--transit", "--run-id", "--batch-size");
  }

  @Test
  void rotateKeysRefusesBadOptionsBeforeTouchingAnything() {
    Run batch = run("rotate-keys", "--batch-size", "0");
    assertThat(batch.exit()).isEqualTo(1);
    assertThat(batch.err()).contains("batch size must be at least 1").doesNotContain("\tat ");
    Run threads = run("rotate-keys", "--parallelism", "0");
    assertThat(threads.err()).contains("parallelism must be at least 1");
    Run both = run("rotate-keys", "--platform", "--transit");
    assertThat(both.err()).contains("--platform and --transit rotate different keys");
    Run noTransit = run("rotate-keys", "--transit", "--store-type", "kubernetes");
    assertThat(noTransit.exit()).isEqualTo(1);
    assertThat(noTransit.err()).contains("--transit needs store.vault.transit.key");
    Run algorithm = run("rotate-keys", "--key-algorithm", "rsa-1024");
    assertThat(algorithm.exit()).isEqualTo(1);
    assertThat(algorithm.err())
        .contains("session key algorithm must be one of [mlkem768-x25519, x25519, rsa-4096")
        .contains("got: rsa-1024")
        .doesNotContain("\tat ");
    Run platformAlgorithm = run("rotate-keys", "--platform", "--key-algorithm", "x25519");
    assertThat(platformAlgorithm.err()).contains("--key-algorithm chooses the new session key");
  }

  @Test
  void aBadSettingStopsWithOneClearLine() {
    Run r = run("operator", "--store-type", "cassandra");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains("store.type must be one of [kubernetes, database, vault], got: cassandra")
        .doesNotContain("\tat ");
    Run db = run("api", "--store-type", "database", "--set", "store.database.username=nb");
    assertThat(db.exit()).isEqualTo(1);
    assertThat(db.err()).contains("store.database.url is required when store.type is database");
    Run vault =
        run(
            "operator",
            "--set",
            "store.type=vault",
            "--set",
            "store.vault.address=http://vault:8200",
            "--set",
            "store.vault.auth.method=token");
    assertThat(vault.err())
        .contains("store.vault.auth.token is required when store.vault.auth.method is token");
    Run transit = run("api", "--set", "store.vault.transit.key=nbsecrets");
    assertThat(transit.exit()).isEqualTo(1);
    assertThat(transit.err()).contains("store.vault.transit.key needs store.type vault");
    Run unknown = run("operator", "--set", "store.database.uri=x");
    assertThat(unknown.err()).contains("unknown setting store.database.uri");
  }

  @Test
  void initFailsLoudlyWithoutItsToken() throws Exception {
    Path sealed = Files.createDirectories(tmp.resolve("sealed"));
    Path mount = Files.createDirectories(tmp.resolve("secrets"));
    // A mount path that does not exist: the failure path and the exit code.
    Run r =
        run(
            "init",
            "--api-url=http://127.0.0.1:1",
            "--sealed-dir=" + sealed,
            "--token-file=" + tmp.resolve("missing-token"),
            "--mount-path=" + mount.resolve("absent"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("nbsecrets init: FAILED").contains("is not a directory");
  }

  @Test
  void missingRequiredOptionsAreNamed() throws Exception {
    Run r = run("init");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--sealed-dir");
    Path sealed = Files.createDirectories(tmp.resolve("sealed-2"));
    Run noKey = run("init", "--sealed-dir=" + sealed, "--mount-path=" + sealed);
    assertThat(noKey.exit()).isEqualTo(2);
    assertThat(noKey.err())
        .contains("Missing required options: --api-url and --token-file (or --user-key-file)");
  }

  @Test
  void initNamesAMissingUserKeyFile() throws Exception {
    Path sealed = Files.createDirectories(tmp.resolve("sealed-3"));
    Files.writeString(
        sealed.resolve(io.nbsecrets.init.SecretFiles.MANIFEST_FILE),
        "[{\"name\":\"A\",\"file\":\"a\"}]");
    Path mount = Files.createDirectories(tmp.resolve("out-3"));
    Run r =
        run(
            "init",
            "--sealed-dir=" + sealed,
            "--user-key-file=" + tmp.resolve("no-such-key"),
            "--mount-path=" + mount);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("NoUserKey").contains("no-such-key");
  }
}
