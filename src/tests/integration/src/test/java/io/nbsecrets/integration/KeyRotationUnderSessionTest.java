package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nbsecrets.cli.Commands;
import io.nbsecrets.crypto.Envelope;
import io.nbsecrets.dev.DevEnvironment;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.operator.Labels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Rotating both keys under a live session loses nothing and needs no restart. */
class KeyRotationUnderSessionTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("judy");
  }

  @Test
  void rotatingBothKeysUnderALiveSessionLosesNothingAndNeedsNoRestart() throws Exception {
    String token = plaintext("judy-token");
    String password = plaintext("judy-password");
    assertThat(putSecret("judy", "token", token)).isEqualTo(201);
    assertThat(putSecret("judy", "password", password)).isEqualTo(201);
    create(
        newSession(
            "judy", "nb", "judy", new SecretItem("token", null), new SecretItem("password", null)));
    awaitReady("judy", "nb");
    String oldKey = keyIdOfRecord("judy", "token");
    // The default session key: HPKE with X-Wing, records nbs2.
    assertThat(oldKey).startsWith("xw-");
    String firstSnapshot = snapshotOf("judy", "nb");

    String[] session =
        runCli(
            "rotate-keys",
            "--namespace=" + DevEnvironment.OPERATOR_NAMESPACE,
            "--store-type=kubernetes",
            "--store-namespace=" + DevEnvironment.STORE_NAMESPACE,
            // A migration to another algorithm, the FIPS direction: every record becomes nbs1.
            "--key-algorithm=rsa-2048",
            "--batch-size=2",
            "--propagation-wait-seconds=1");

    assertThat(session[0]).as("exit code; stderr: %s", session[2]).isEqualTo("0");
    assertThat(session[1]).contains("rotated session key to rsa-", "dropped " + oldKey);
    assertThat(session[2]).contains("added session key", "pass 1", "dropped old session keys");
    String newKey = keyIdOfRecord("judy", "token");
    assertThat(newKey).isNotEqualTo(oldKey);
    assertThat(keyIdOfRecord("judy", "password")).isEqualTo(newKey);
    // Re-wrapping is not a change: the session's secrets are not stale, the pod does not roll.
    touch("judy", "nb");
    assertThat(awaitReady("judy", "nb").getStatus().getSecrets())
        .extracting(MountedSecret::getStale)
        .containsOnlyNulls();
    assertThat(snapshotOf("judy", "nb")).isEqualTo(firstSnapshot);

    // The running operator dropped the old key and opens records under the new one: a refresh
    // takes a new snapshot from the re-wrapped records, with the same plaintext in the files.
    edit("judy", "nb", s -> annotate(s, Labels.REFRESH_ANNOTATION, "after-session-rotation"));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> !firstSnapshot.equals(snapshotOf("judy", "nb")));
    awaitReady("judy", "nb");
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(files("judy", "nb"))
                    .containsOnly(Map.entry("token", token), Map.entry("password", password)));
    // The running API seals new records under the new key.
    String later = plaintext("judy-later");
    assertThat(putSecret("judy", "later", later)).isEqualTo(201);
    assertThat(keyIdOfRecord("judy", "later")).isEqualTo(newKey);

    String[] platform =
        runCli(
            "rotate-keys",
            "--platform",
            "--namespace=" + DevEnvironment.OPERATOR_NAMESPACE,
            "--store-type=kubernetes",
            "--store-namespace=" + DevEnvironment.STORE_NAMESPACE,
            "--propagation-wait-seconds=1");

    assertThat(platform[0]).as("exit code; stderr: %s", platform[2]).isEqualTo("0");
    assertThat(platform[1]).contains("rotated platform key to ");
    // The running API unwraps judy's re-wrapped key: her new value lands next to the old ones.
    String latest = plaintext("judy-latest");
    assertThat(putSecret("judy", "latest", latest)).isEqualTo(201);
    select(
        "judy",
        "nb",
        new SecretItem("token", null),
        new SecretItem("password", null),
        new SecretItem("latest", null));
    await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () ->
                assertThat(files("judy", "nb"))
                    .containsOnly(
                        Map.entry("token", token),
                        Map.entry("password", password),
                        Map.entry("latest", latest)));
  }

  /** Runs the jar's command line against the embedded API server, as an admin would. */
  static String[] runCli(String... args) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    env.writeKubeconfig(kubeconfig);
    String previous = System.setProperty("kubeconfig", kubeconfig.toString());
    try {
      CommandLine cl = Commands.commandLine();
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(err));
      int exit = cl.execute(args);
      return new String[] {String.valueOf(exit), out.toString(), err.toString()};
    } finally {
      if (previous == null) {
        System.clearProperty("kubeconfig");
      } else {
        System.setProperty("kubeconfig", previous);
      }
    }
  }

  static String keyIdOfRecord(String user, String name) {
    return Envelope.keyId(env.store().get(user, List.of(name)).get(name).sealed());
  }
}
