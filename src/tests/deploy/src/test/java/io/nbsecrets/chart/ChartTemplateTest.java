package io.nbsecrets.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Strict lint, rendering of every store type in every mode, and the schema's refusals. */
class ChartTemplateTest {

  @Test
  void strictLintPasses() {
    LintResult result = new Helm(ChartRendering.CHART).lint().strict().call();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  static Stream<Arguments> storesAndModes() {
    return Stream.of("kubernetes", "database", "vault")
        .flatMap(store -> Stream.of("split", "combined").map(mode -> Arguments.of(store, mode)));
  }

  static String storeValues(String store) {
    return switch (store) {
      case "database" ->
          """
          store:
            type: database
            database:
              url: jdbc:postgresql://postgres:5432/nbsecrets
              username: nbsecrets
              existingSecret: nbsecrets-db
          """;
      case "vault" ->
          """
          store:
            type: vault
            vault:
              address: https://vault.vault.svc:8200
          """;
      default -> "";
    };
  }

  @ParameterizedTest(name = "store {0}, mode {1}")
  @MethodSource("storesAndModes")
  void rendersEveryStoreInEveryMode(String store, String mode) {
    List<HasMetadata> objects =
        ChartRendering.objects(storeValues(store) + "mode: " + mode + "\n", Map.of());
    List<Deployment> deployments = ChartRendering.ofType(objects, Deployment.class);
    List<Container> containers =
        deployments.stream()
            .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
            .toList();
    assertThat(deployments).hasSize(mode.equals("split") ? 2 : 1);
    assertThat(containers)
        .extracting(Container::getName)
        .containsExactlyInAnyOrder("operator", "api");
    for (Container c : containers) {
      assertThat(c.getEnv())
          .anyMatch(e -> e.getName().equals("NBSECRETS_STORE_TYPE") && e.getValue().equals(store));
      List<String> envNames = c.getEnv().stream().map(EnvVar::getName).toList();
      switch (store) {
        case "database" -> {
          assertThat(envNames)
              .contains("NBSECRETS_STORE_DATABASE_URL", "NBSECRETS_STORE_DATABASE_PASSWORD");
          EnvVar password =
              c.getEnv().stream()
                  .filter(e -> e.getName().equals("NBSECRETS_STORE_DATABASE_PASSWORD"))
                  .findFirst()
                  .orElseThrow();
          assertThat(password.getValue()).isNull();
          assertThat(password.getValueFrom().getSecretKeyRef().getName()).isEqualTo("nbsecrets-db");
        }
        case "vault" ->
            assertThat(envNames)
                .contains("NBSECRETS_STORE_VAULT_ADDRESS", "NBSECRETS_STORE_VAULT_AUTH_METHOD")
                // Transit is off unless store.vault.transit.key is set.
                .noneMatch(n -> n.contains("TRANSIT"));
        default -> {
          assertThat(envNames).noneMatch(n -> n.contains("DATABASE") || n.contains("VAULT"));
          assertThat(c.getEnv())
              .anyMatch(
                  e ->
                      e.getName().equals("NBSECRETS_STORE_KUBERNETES_NAMESPACE")
                          && e.getValue().equals(ChartRendering.NAMESPACE + "-store"));
        }
      }
    }
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("unknown store type", "store: {type: s3}\n"),
        Arguments.of("negative operator replicas", "operator: {replicas: -1}\n"),
        Arguments.of("negative api replicas", "api: {replicas: -2}\n"),
        Arguments.of("unknown mode", "mode: sidecar\n"),
        Arguments.of("unknown top-level key", "operater: {replicas: 2}\n"),
        Arguments.of("unknown nested key", "keys: {session: {existingSecrets: x}}\n"),
        Arguments.of("replicas as a string", "operator: {replicas: \"two\"}\n"),
        Arguments.of("unknown key algorithm", "keys: {algorithm: rsa-1024}\n"),
        Arguments.of("unknown rotation algorithm", "rotation: {keyAlgorithm: kyber}\n"),
        Arguments.of("port out of range", "api: {port: 70000}\n"),
        Arguments.of("value limit under Renku's floor", "api: {maxValueBytes: 100}\n"),
        Arguments.of("bad pull policy", "image: {pullPolicy: Sometimes}\n"),
        Arguments.of("bad watch namespace", "rbac: {watchNamespaces: [\"Not_A_Name\"]}\n"),
        Arguments.of("crds.enabled not a boolean", "crds: {enabled: \"yes\"}\n"),
        Arguments.of("vault auth method", "store: {type: vault, vault: {auth: {method: ldap}}}\n"),
        Arguments.of("rotation run with a space", "rotation: {enabled: true, run: '2026 11'}\n"),
        Arguments.of("rotation run with a slash", "rotation: {enabled: true, run: 'a/b'}\n"),
        Arguments.of("rotation run starting with -", "rotation: {enabled: true, run: '-x'}\n"),
        Arguments.of("rotation run ending with .", "rotation: {enabled: true, run: 'x.'}\n"),
        Arguments.of(
            "rotation run over 63 characters",
            "rotation: {enabled: true, run: '" + "x".repeat(64) + "'}\n"),
        Arguments.of("rotation run as a number", "rotation: {enabled: true, run: 202611}\n"),
        Arguments.of("rotation.enabled not a boolean", "rotation: {enabled: 'yes'}\n"),
        Arguments.of("rotation.platform not a boolean", "rotation: {platform: 'true'}\n"),
        Arguments.of("rotation keyBits out of its old range", "rotation: {keyBits: 1024}\n"),
        Arguments.of("rotation batch size 0", "rotation: {batchSize: 0}\n"),
        Arguments.of("rotation negative parallelism", "rotation: {parallelism: -1}\n"),
        Arguments.of("rotation negative wait", "rotation: {propagationWaitSeconds: -5}\n"),
        Arguments.of("rotation negative ttl", "rotation: {ttlSecondsAfterFinished: -1}\n"),
        Arguments.of("rotation unknown key", "rotation: {enabled: true, schedule: '@monthly'}\n"),
        Arguments.of("rotation.transit not a boolean", "rotation: {transit: 'yes'}\n"),
        Arguments.of(
            "rotation.newTransitVersion not a boolean", "rotation: {newTransitVersion: 1}\n"),
        Arguments.of("transit key with a slash", transit("key: 'a/b'")),
        Arguments.of("transit key with a space", transit("key: 'my key'")),
        Arguments.of("transit key as a number", transit("key: 5")),
        Arguments.of("transit mount empty", transit("key: k, mount: ''")),
        Arguments.of("transit mount with a leading slash", transit("mount: '/transit'")),
        Arguments.of("transit mount with a trailing slash", transit("mount: 'transit/'")),
        Arguments.of("transit mount with an empty segment", transit("mount: 'a//b'")),
        Arguments.of("transit mount with a space", transit("mount: 'my transit'")),
        Arguments.of("transit unknown key", transit("name: k")));
  }

  /** A vault store whose store.vault.transit has these (flow-style) entries. */
  static String transit(String entries) {
    return "store: {type: vault, vault: {address: 'https://vault', transit: {" + entries + "}}}\n";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void schemaRefusesBadValues(String why, String values) {
    assertThatThrownBy(() -> ChartRendering.render(values))
        .as(why)
        .hasMessageContaining("values don't meet the specifications of the schema");
  }

  static Stream<Arguments> badCombinations() {
    return Stream.of(
        Arguments.of("keys: {session: {existingSecret: my-keys}}\n", "existingPublicKeyConfigMap"),
        Arguments.of("store: {type: database}\n", "store.database.url"),
        Arguments.of("store: {type: vault}\n", "store.vault.address"),
        Arguments.of("rotation: {run: '2026-11'}\n", "rotation.run needs rotation.enabled"),
        Arguments.of(
            "rotation: {enabled: true, platform: true}\nkeys: {platform: {existingSecret: plk}}\n",
            "with keys.platform.existingSecret"),
        Arguments.of(
            "rotation: {enabled: true}\n"
                + "keys: {session: {existingSecret: sk, existingPublicKeyConfigMap: pk}}\n",
            "rotation of the session key pair needs the pair the operator generated"),
        Arguments.of(
            "rotation: {enabled: true}\nkeys: {session: {existingPublicKeyConfigMap: pk}}\n",
            "the API must read the public key it publishes"),
        Arguments.of(
            transit("key: k") + "rotation: {enabled: true, transit: true, platform: true}\n",
            "rotation.transit and rotation.platform rotate different keys"),
        Arguments.of(
            storeValues("vault") + "rotation: {enabled: true, run: r1, transit: true}\n",
            "rotation.transit needs store.vault.transit.key"),
        Arguments.of(
            transit("key: k") + "rotation: {enabled: true, newTransitVersion: true}\n",
            "rotation.newTransitVersion needs rotation.transit"));
  }

  @ParameterizedTest(name = "store {0}")
  @ValueSource(strings = {"kubernetes", "database"})
  void templatesRefuseATransitKeyWithoutTheVaultStore(String store) {
    assertThatThrownBy(
            () -> ChartRendering.render(storeValues(store), Map.of("store.vault.transit.key", "k")))
        .hasMessageContaining("store.vault.transit.key needs store.type vault");
    // The same store with a Transit mount but no key (Transit off) renders.
    assertThat(
            ChartRendering.render(storeValues(store), Map.of("store.vault.transit.mount", "kms")))
        .contains("kind: Deployment")
        .doesNotContain("TRANSIT");
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badCombinations")
  void templatesRefuseIncompleteSettings(String values, String message) {
    assertThatThrownBy(() -> ChartRendering.render(values)).hasMessageContaining(message);
  }
}
