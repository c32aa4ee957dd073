package io.nbsecrets.chart;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The rendered RBAC equals, rule for rule, the table in charts/nbsecrets/README.md. */
class RbacTest {
  /** One row of the README table. */
  record Row(
      String role,
      String scope,
      String apiGroup,
      String resource,
      Set<String> verbs,
      Set<String> resourceNames,
      String when) {}

  /** A rendered rule, comparable with a row. */
  record Rule(String apiGroup, String resource, Set<String> verbs, Set<String> resourceNames) {}

  private static List<Row> table;

  @BeforeAll
  static void readTable() throws Exception {
    table = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("charts/nbsecrets/README.md"))) {
      if (!line.startsWith("| operator |")
          && !line.startsWith("| api |")
          && !line.startsWith("| rotation |")) {
        continue;
      }
      String[] cells = line.split("\\|", -1);
      List<String> c = Arrays.stream(cells).map(String::strip).toList();
      table.add(
          new Row(
              c.get(1),
              c.get(2),
              c.get(3).equals("core") ? "" : c.get(3),
              c.get(4),
              set(c.get(5)),
              set(c.get(6)),
              c.get(7)));
    }
    assertThat(table).hasSize(42);
  }

  private static Set<String> set(String cell) {
    Set<String> out = new TreeSet<>();
    for (String s : cell.split(",")) {
      if (!s.isBlank()) {
        out.add(s.strip());
      }
    }
    return out;
  }

  private static Set<Rule> rules(List<PolicyRule> policyRules) {
    Set<Rule> out = new HashSet<>();
    for (PolicyRule r : policyRules) {
      assertThat(r.getApiGroups()).hasSize(1);
      assertThat(r.getResources()).hasSize(1);
      assertThat(r.getNonResourceURLs()).isNullOrEmpty();
      Rule rule =
          new Rule(
              r.getApiGroups().get(0),
              r.getResources().get(0),
              new TreeSet<>(r.getVerbs()),
              new TreeSet<>(r.getResourceNames() == null ? List.of() : r.getResourceNames()));
      assertThat(out.add(rule)).as("duplicate rule %s", rule).isTrue();
    }
    return out;
  }

  private static Set<Rule> expected(String role, Set<String> scopes, Set<String> conditions) {
    Set<Rule> out = new HashSet<>();
    for (Row row : table) {
      if (row.role().equals(role)
          && scopes.contains(row.scope())
          && (row.when().equals("always") || conditions.contains(row.when()))) {
        out.add(new Rule(row.apiGroup(), row.resource(), row.verbs(), row.resourceNames()));
      }
    }
    return out;
  }

  /** The TLS conditions of the table, from {@code api.tls.mode} (default generate). */
  private static Set<String> withTls(String values, Set<String> conditions) {
    Set<String> all = new HashSet<>(conditions);
    if (values.contains("mode: none")) {
      return all;
    }
    all.add("TLS");
    if (!values.contains("mode: certManager")) {
      all.add("API CA generated");
    }
    return all;
  }

  static Stream<Arguments> installs() {
    return Stream.of(
        Arguments.of(
            "defaults",
            "",
            Set.of(
                "session keys generated",
                "platform key generated",
                "public key from ConfigMap",
                "kubernetes store")),
        Arguments.of(
            "combined, 2 replicas",
            "mode: combined\noperator: {replicas: 2}\n",
            Set.of(
                "session keys generated",
                "platform key generated",
                "public key from ConfigMap",
                "leader election",
                "kubernetes store")),
        Arguments.of(
            "existing keys, namespaced",
            """
            rbac: {watchNamespaces: [team-a, team-b]}
            keys:
              session: {existingSecret: sk, existingPublicKeyConfigMap: pk}
              platform: {existingSecret: plk}
            """,
            Set.of("kubernetes store")),
        Arguments.of(
            "namespaced, 3 replicas",
            "rbac: {watchNamespaces: [team-a]}\noperator: {replicas: 3}\n",
            Set.of(
                "session keys generated",
                "platform key generated",
                "public key from ConfigMap",
                "leader election",
                "kubernetes store")),
        Arguments.of(
            "session rotation",
            "rotation: {enabled: true, run: '2026-11'}\n",
            Set.of(
                "session keys generated",
                "platform key generated",
                "public key from ConfigMap",
                "kubernetes store",
                "session rotation")),
        Arguments.of(
            "platform rotation, combined, existing session keys",
            """
            mode: combined
            rotation: {enabled: true, platform: true}
            keys:
              session: {existingSecret: sk, existingPublicKeyConfigMap: pk}
            """,
            Set.of("platform key generated", "kubernetes store", "platform rotation")),
        Arguments.of(
            "session rotation, database store, namespaced",
            """
            rbac: {watchNamespaces: [team-a]}
            rotation: {enabled: true, run: r1}
            store:
              type: database
              database: {url: 'jdbc:postgresql://db/x', existingSecret: db}
            """,
            Set.of(
                "session keys generated",
                "platform key generated",
                "public key from ConfigMap",
                "session rotation")),
        Arguments.of(
            "transit rotation, vault store",
            """
            store: {type: vault, vault: {address: 'https://vault', transit: {key: nbsecrets}}}
            rotation: {enabled: true, run: t1, transit: true, newTransitVersion: true}
            """,
            Set.of(
                "session keys generated",
                "platform key generated",
                "public key from ConfigMap",
                "transit rotation")),
        Arguments.of(
            "transit rotation, combined, existing session keys",
            """
            mode: combined
            store: {type: vault, vault: {address: 'https://vault', transit: {key: nbsecrets}}}
            rotation: {enabled: true, transit: true}
            keys:
              session: {existingSecret: sk, existingPublicKeyConfigMap: pk}
            """,
            Set.of("platform key generated", "transit rotation")),
        Arguments.of(
            "TLS from cert-manager, existing platform key",
            """
            api: {tls: {mode: certManager, certManager: {issuerRef: {name: ca}}}}
            keys: {platform: {existingSecret: plk}}
            """,
            Set.of("session keys generated", "public key from ConfigMap", "kubernetes store")),
        Arguments.of(
            "plain HTTP (development)",
            "api: {tls: {mode: none}}\n",
            Set.of(
                "session keys generated",
                "platform key generated",
                "public key from ConfigMap",
                "kubernetes store")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("installs")
  void renderedRulesAreExactlyTheDocumentedOnes(String install, String values, Set<String> given) {
    Set<String> conditions = withTls(values, given);
    List<HasMetadata> objects = ChartRendering.objects(values, Map.of());
    boolean combined = values.contains("mode: combined");
    List<String> watch =
        values.contains("team-b")
            ? List.of("team-a", "team-b")
            : values.contains("team-a") ? List.of("team-a") : List.of();
    for (String role : List.of("operator", "api")) {
      String name = "nbsecrets-" + role;
      String sa = combined ? "nbsecrets" : name;
      ClusterRole clusterRole = ChartRendering.named(objects, ClusterRole.class, name);
      Role own = ChartRendering.named(objects, Role.class, name);
      assertThat(own.getMetadata().getNamespace()).isEqualTo(ChartRendering.NAMESPACE);
      if (watch.isEmpty()) {
        assertThat(rules(clusterRole.getRules()))
            .as(role + " ClusterRole")
            .isEqualTo(expected(role, Set.of("sessions", "cluster"), conditions));
        assertThat(ChartRendering.ofType(objects, Role.class))
            .noneMatch(r -> r.getMetadata().getName().endsWith("-sessions"));
      } else {
        assertThat(rules(clusterRole.getRules()))
            .as(role + " ClusterRole")
            .isEqualTo(expected(role, Set.of("cluster"), conditions));
        List<Role> sessionRoles =
            ChartRendering.ofType(objects, Role.class).stream()
                .filter(r -> r.getMetadata().getName().equals(name + "-sessions"))
                .toList();
        assertThat(sessionRoles)
            .extracting(r -> r.getMetadata().getNamespace())
            .containsExactlyInAnyOrderElementsOf(watch);
        for (Role r : sessionRoles) {
          assertThat(rules(r.getRules()))
              .as(role + " Role in " + r.getMetadata().getNamespace())
              .isEqualTo(expected(role, Set.of("sessions"), conditions));
          RoleBinding binding =
              ChartRendering.ofType(objects, RoleBinding.class).stream()
                  .filter(
                      b ->
                          b.getMetadata().getName().equals(name + "-sessions")
                              && b.getMetadata()
                                  .getNamespace()
                                  .equals(r.getMetadata().getNamespace()))
                  .findFirst()
                  .orElseThrow();
          assertThat(binding.getRoleRef().getName()).isEqualTo(name + "-sessions");
          assertSubject(binding.getSubjects(), sa);
        }
      }
      assertStoreRole(objects, role, sa, conditions);
      assertThat(rules(own.getRules()))
          .as(role + " Role in the release namespace")
          .isEqualTo(expected(role, Set.of("release"), conditions));
      assertSubject(
          ChartRendering.named(objects, ClusterRoleBinding.class, name).getSubjects(), sa);
      RoleBinding ownBinding = ChartRendering.named(objects, RoleBinding.class, name);
      assertThat(ownBinding.getRoleRef().getKind()).isEqualTo("Role");
      assertSubject(ownBinding.getSubjects(), sa);
    }
  }

  /** The Role in the kubernetes store's namespace, or none for another store. */
  private static void assertStoreRole(
      List<HasMetadata> objects, String role, String sa, Set<String> conditions) {
    String name = "nbsecrets-" + role + "-store";
    if (!conditions.contains("kubernetes store")) {
      assertThat(objects)
          .noneMatch(o -> o.getKind().startsWith("Role") && o.getMetadata().getName().equals(name));
      return;
    }
    Role store = ChartRendering.named(objects, Role.class, name);
    assertThat(store.getMetadata().getNamespace()).isEqualTo(ChartRendering.NAMESPACE + "-store");
    assertThat(rules(store.getRules()))
        .as(role + " Role in the store namespace")
        .isEqualTo(expected(role, Set.of("store"), conditions));
    RoleBinding binding = ChartRendering.named(objects, RoleBinding.class, name);
    assertThat(binding.getMetadata().getNamespace()).isEqualTo(ChartRendering.NAMESPACE + "-store");
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo(name);
    assertSubject(binding.getSubjects(), sa);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("installs")
  void theRotationRolesAreExactlyTheDocumentedOnes(
      String install, String values, Set<String> given) {
    Set<String> conditions = withTls(values, given);
    List<HasMetadata> objects = ChartRendering.objects(values, Map.of());
    String name = "nbsecrets-rotation";
    if (!values.contains("rotation:")) {
      assertThat(objects).noneMatch(o -> o.getMetadata().getName().startsWith(name));
      return;
    }
    // Namespaced rules only, whatever rbac.watchNamespaces says.
    assertThat(ChartRendering.ofType(objects, ClusterRole.class))
        .noneMatch(r -> r.getMetadata().getName().startsWith(name));
    assertThat(ChartRendering.ofType(objects, ClusterRoleBinding.class))
        .noneMatch(r -> r.getMetadata().getName().startsWith(name));
    Role own = ChartRendering.named(objects, Role.class, name);
    assertThat(own.getMetadata().getNamespace()).isEqualTo(ChartRendering.NAMESPACE);
    assertThat(rules(own.getRules()))
        .as("rotation Role in the release namespace")
        .isEqualTo(expected("rotation", Set.of("release"), conditions));
    RoleBinding ownBinding = ChartRendering.named(objects, RoleBinding.class, name);
    assertThat(ownBinding.getMetadata().getNamespace()).isEqualTo(ChartRendering.NAMESPACE);
    assertThat(ownBinding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(ownBinding.getRoleRef().getName()).isEqualTo(name);
    assertSubject(ownBinding.getSubjects(), name);
    assertStoreRole(objects, "rotation", name, conditions);
    assertThat(
            ChartRendering.ofType(objects, Role.class).stream()
                .filter(r -> r.getMetadata().getName().startsWith(name)))
        .hasSize(conditions.contains("kubernetes store") ? 2 : 1);
  }

  /** The key objects a set of rules lets one read, in the release namespace. */
  private static Set<String> readableKeySecrets(List<PolicyRule> rules) {
    Set<String> out = new TreeSet<>();
    for (PolicyRule r : rules) {
      if (r.getResources().contains("secrets") && r.getVerbs().contains("get")) {
        assertThat(r.getResourceNames()).as("a get on secrets not limited by name").isNotEmpty();
        out.addAll(r.getResourceNames());
      }
    }
    return out;
  }

  static final String TRANSIT_STORE =
      "store: {type: vault, vault: {address: 'https://vault', transit: {key: nbsecrets}}}\n";

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"session", "platform", "transit"})
  void theRotationHoldsOneKeyNeverBoth(String key) {
    List<HasMetadata> objects =
        ChartRendering.objects(
            switch (key) {
              case "platform" -> "rotation: {enabled: true, run: r1, platform: true}\n";
              case "transit" ->
                  TRANSIT_STORE + "rotation: {enabled: true, run: r1, transit: true}\n";
              default -> "rotation: {enabled: true, run: r1}\n";
            },
            Map.of());
    Role own = ChartRendering.named(objects, Role.class, "nbsecrets-rotation");
    assertThat(readableKeySecrets(own.getRules()))
        .containsExactly(
            key.equals("platform") ? "nbsecrets-platform-key" : "nbsecrets-session-keys");
    assertThat(own.getRules())
        .allMatch(r -> !r.getVerbs().contains("list") && !r.getVerbs().contains("watch"));
    if (key.equals("transit")) {
      // Vault re-wraps: the session keys are read (to move RSA records), never changed, and the
      // public key is not published.
      assertThat(own.getRules())
          .noneMatch(
              r -> r.getResources().contains("secrets") && !r.getVerbs().equals(List.of("get")))
          .noneMatch(
              r ->
                  r.getResourceNames() != null
                      && r.getResourceNames().contains("nbsecrets-session-public-key"));
      assertThat(own.getRules())
          .filteredOn(
              r ->
                  r.getResources().contains("configmaps")
                      && r.getResourceNames() != null
                      && !r.getResourceNames().isEmpty())
          .singleElement()
          .satisfies(
              r -> assertThat(r.getResourceNames()).containsExactly("nbsecrets-rotation-transit"));
    }
    // The operator and the API each read (and watch) their own key only (the API: and its TLS CA).
    assertThat(
            readableKeySecrets(
                ChartRendering.named(objects, Role.class, "nbsecrets-operator").getRules()))
        .containsExactly("nbsecrets-session-keys");
    assertThat(
            readableKeySecrets(
                ChartRendering.named(objects, Role.class, "nbsecrets-api").getRules()))
        .containsExactlyInAnyOrder("nbsecrets-platform-key", "nbsecrets-api-ca");
  }

  @Test
  void keyObjectsAreListedAndWatchedByNameOnly() {
    List<HasMetadata> objects = ChartRendering.objects("mode: combined\n", Map.of());
    for (String role : List.of("nbsecrets-operator", "nbsecrets-api")) {
      for (PolicyRule r : ChartRendering.named(objects, Role.class, role).getRules()) {
        if (r.getVerbs().contains("list") || r.getVerbs().contains("watch")) {
          assertThat(r.getVerbs()).as(role).contains("get", "list", "watch");
          assertThat(r.getResourceNames())
              .as(role)
              .singleElement()
              .isIn(
                  "nbsecrets-session-keys",
                  "nbsecrets-platform-key",
                  "nbsecrets-session-public-key",
                  "nbsecrets-api-ca-bundle");
        }
      }
    }
  }

  private static void assertSubject(List<Subject> subjects, String serviceAccount) {
    assertThat(subjects)
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(serviceAccount);
              assertThat(s.getNamespace()).isEqualTo(ChartRendering.NAMESPACE);
            });
  }

  @Test
  void noWildcardsAndNoClusterWideSecretsForTheApi() {
    for (String values :
        List.of(
            "",
            "mode: combined\n",
            "rbac: {watchNamespaces: [a]}\noperator: {replicas: 2}\n",
            "rotation: {enabled: true}\n",
            "rotation: {enabled: true, platform: true}\n",
            TRANSIT_STORE + "rotation: {enabled: true, transit: true}\n")) {
      List<HasMetadata> objects = ChartRendering.objects(values, Map.of());
      List<PolicyRule> all = new ArrayList<>();
      ChartRendering.ofType(objects, ClusterRole.class).forEach(r -> all.addAll(r.getRules()));
      ChartRendering.ofType(objects, Role.class).forEach(r -> all.addAll(r.getRules()));
      assertThat(all).isNotEmpty();
      for (PolicyRule r : all) {
        assertThat(r.getVerbs()).doesNotContain("*", "escalate", "bind", "impersonate");
        assertThat(r.getResources()).noneMatch(s -> s.contains("*"));
        assertThat(r.getApiGroups()).doesNotContain("*");
      }
      ClusterRole api = ChartRendering.named(objects, ClusterRole.class, "nbsecrets-api");
      assertThat(api.getRules())
          .noneMatch(
              r -> r.getResources().contains("secrets") || r.getResources().contains("configmaps"));
      // The API lists and watches sessions only (its cache for usedBy); nothing else.
      assertThat(api.getRules())
          .allMatch(
              r ->
                  r.getResources().equals(List.of("notebooksessions"))
                      || (!r.getVerbs().contains("list") && !r.getVerbs().contains("watch")));
    }
  }

  @Test
  void rbacCanBeLeftToThePlatform() {
    List<HasMetadata> objects =
        ChartRendering.objects(
            "rbac: {create: false}\nrotation: {enabled: true, run: r1}\n", Map.of());
    assertThat(objects)
        .noneMatch(o -> o.getKind().endsWith("Role") || o.getKind().endsWith("RoleBinding"));
    // The ServiceAccounts stay, for the platform's own bindings.
    assertThat(ChartRendering.ofType(objects, ServiceAccount.class))
        .extracting(sa -> sa.getMetadata().getName())
        .containsExactlyInAnyOrder("nbsecrets-operator", "nbsecrets-api", "nbsecrets-rotation");
  }
}
