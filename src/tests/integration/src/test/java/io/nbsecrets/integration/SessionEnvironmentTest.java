package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.EnvEntry;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.operator.Conditions;
import io.nbsecrets.operator.Workload;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Secrets as environment variables, end to end in dev mode: stored through the API, exported by the
 * init step into the in-memory env file, and loaded by the launcher from the pod spec, which the
 * kubelet stand-in runs with the real {@code /bin/sh} in place of the user's command; what that
 * process's environment holds is what the session's would.
 */
class SessionEnvironmentTest extends SessionLifecycle {
  private static final List<String> COMMAND = List.of("tini", "-g", "--", "start-notebook.py");

  @Override
  List<String> users() {
    return List.of("alice", "bob", "carol", "dave");
  }

  /** A session of user {@code ns} selecting {@code items}, or all secrets when {@code all}. */
  private static NotebookSession exporting(
      String ns, String name, boolean all, Boolean envAll, SecretItem... items) {
    NotebookSession s = newSession(ns, name, ns, items);
    s.getSpec().setSecrets(new SecretsSpec(null, all ? true : null, envAll, List.of(items)));
    s.getSpec().setCommand(COMMAND);
    s.getSpec().setArgs(List.of("--ServerApp.token="));
    s.getSpec().setEnv(List.of(new EnvEntry("TZ", "Europe/Paris")));
    return s;
  }

  private static Map<String, String> environment(String ns, String session) throws Exception {
    return env.kubelet().environment(ns, session).orElseThrow();
  }

  @Test
  void secretsReachTheSessionsProcessEnvironmentAndNoObjectHoldsThem() throws Exception {
    // Values a shell would expand, split or run, were they not quoted as the init step quotes.
    String apiKey = plaintext("api") + "'$(touch /tmp/pwned)`id` \"$HOME\"\\";
    String password = plaintext("pw") + "\nsecond line; exit 3";
    String sshKey = plaintext("ssh");
    assertThat(putSecret("alice", "OPENAI_API_KEY", apiKey)).isEqualTo(201);
    assertThat(putSecret("alice", "db-password", password)).isEqualTo(201);
    assertThat(putSecret("alice", "ssh.key", sshKey)).isEqualTo(201);

    create(
        exporting(
            "alice", "nb", true, true, new SecretItem("db-password", "pg.txt", "PGPASSWORD")));
    NotebookSession ready = awaitReady("alice", "nb");

    Map<String, String> seen = environment("alice", "nb");
    assertThat(seen)
        .containsEntry("OPENAI_API_KEY", apiKey)
        .containsEntry("PGPASSWORD", password)
        .containsEntry("TZ", "Europe/Paris")
        .doesNotContainKey(Workload.ENV_FILE_VARIABLE)
        .doesNotContainKey("ssh.key");
    assertThat(seen.values()).doesNotContain(sshKey);
    // ... and the files as ever, each under its own name or file name
    assertThat(files("alice", "nb"))
        .containsOnly(
            Map.entry("OPENAI_API_KEY", apiKey),
            Map.entry("pg.txt", password),
            Map.entry("ssh.key", sshKey));

    assertThat(ready.getStatus().getSecrets())
        .containsExactly(
            new MountedSecret("OPENAI_API_KEY", 1L, null, "OPENAI_API_KEY"),
            new MountedSecret("db-password", 1L, null, "PGPASSWORD"),
            new MountedSecret("ssh.key", 1L, null, null));
    assertThat(condition(ready, Conditions.SECRETS_READY).orElseThrow().getMessage())
        .isEqualTo(
            "3 secrets in the snapshot, 2 also as environment variables (set when the session"
                + " starts); envAll left out 1 secret whose names are not environment variable"
                + " names (ssh.key): name their variables with spec.secrets.items[].env");

    // The pod spec runs the user's command under the launcher; it names the file, holds no value.
    StatefulSet sts = client.apps().statefulSets().inNamespace("alice").withName("nb").get();
    Container session = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(session.getCommand())
        .startsWith("/bin/sh", "-c")
        .endsWith(COMMAND.toArray(String[]::new));
    assertThat(session.getArgs()).containsExactly("--ServerApp.token=");
    assertThat(Files.exists(java.nio.file.Path.of("/tmp/pwned"))).isFalse();
  }

  @Test
  void withoutACommandNothingIsMadeUntilOneIsGiven() throws Exception {
    String token = plaintext("token");
    assertThat(putSecret("bob", "TOKEN", token)).isEqualTo(201);
    NotebookSession s = exporting("bob", "nb", false, null, new SecretItem("TOKEN", null, "TOKEN"));
    s.getSpec().setCommand(null);
    create(s);
    NotebookSession refused =
        awaitCondition("bob", "nb", Conditions.READY, Conditions.FALSE, "CommandRequired");
    assertThat(condition(refused, Conditions.SECRETS_READY).orElseThrow().getMessage())
        .contains("command is required")
        .contains("start-notebook.py");
    assertThat(client.apps().statefulSets().inNamespace("bob").withName("nb").get()).isNull();
    assertThat(sessionSecrets("bob", "nb")).isEmpty();

    edit(
        "bob",
        "nb",
        n -> {
          n.getSpec().setCommand(COMMAND);
          return n;
        });
    awaitReady("bob", "nb");
    assertThat(environment("bob", "nb")).containsEntry("TOKEN", token);
  }

  @Test
  void aSecretWhoseNameClashesWithAPlainVariableIsRefusedNamingBoth() throws Exception {
    assertThat(putSecret("carol", "TZ", plaintext("tz"))).isEqualTo(201);
    create(exporting("carol", "nb", true, true));
    NotebookSession refused =
        awaitCondition("carol", "nb", Conditions.SECRETS_READY, Conditions.FALSE, "EnvClash");
    assertThat(condition(refused, Conditions.SECRETS_READY).orElseThrow().getMessage())
        .isEqualTo(
            "secret TZ would be exported as TZ, which spec.env also sets: rename one of them;"
                + " set another name with spec.secrets.items[].env");
    assertThat(client.apps().statefulSets().inNamespace("carol").withName("nb").get()).isNull();
  }

  @Test
  void aValueNoEnvironmentStringCanHoldFailsTheInitStepNamingTheSecret() throws Exception {
    String binary = plaintext("nul") + "\0after";
    assertThat(putSecret("dave", "blob", binary)).isEqualTo(201);
    create(exporting("dave", "nb", false, null, new SecretItem("blob", null, "BLOB")));
    NotebookSession failed =
        awaitCondition("dave", "nb", Conditions.SECRETS_READY, Conditions.FALSE, "EnvValueRefused");
    assertThat(condition(failed, Conditions.SECRETS_READY).orElseThrow().getMessage())
        .contains("secret blob (environment variable BLOB)")
        .contains("NUL byte");
    // Nothing half-made: no file was written, and the session never started.
    await()
        .during(Duration.ofMillis(300))
        .atMost(5, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(files("dave", "nb")).isEmpty());
    assertThat(Files.exists(env.kubelet().environFile("dave", "nb"))).isFalse();
  }
}
