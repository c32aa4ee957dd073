package io.nbsecrets.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rendered objects, parsed with Fabric8: security, labels, secrets, leader election, network.
 */
class ChartObjectsTest {
  static final List<String> RECOMMENDED_LABELS =
      List.of(
          "app.kubernetes.io/name",
          "app.kubernetes.io/instance",
          "app.kubernetes.io/version",
          "app.kubernetes.io/component",
          "app.kubernetes.io/part-of",
          "app.kubernetes.io/managed-by");

  /** Every variant the chart renders differently. */
  static Stream<Arguments> variants() {
    return Stream.of(
        Arguments.of("defaults", ""),
        Arguments.of("combined", "mode: combined\n"),
        Arguments.of("replicas 3", "operator: {replicas: 3}\napi: {replicas: 2}\n"),
        Arguments.of(
            "everything on",
            """
            mode: combined
            operator: {replicas: 2}
            serviceMonitor: {enabled: true}
            admissionPolicy: {enabled: true, launcherGroups: [jupyterhub]}
            networkPolicy: {metricsNamespace: monitoring}
            rbac: {watchNamespaces: [team-a, team-b]}
            """),
        Arguments.of(
            "existing keys",
            """
            keys:
              session: {existingSecret: my-session-keys, existingPublicKeyConfigMap: my-public-key}
              platform: {existingSecret: my-platform-key}
            """),
        Arguments.of(
            "database store",
            "store: {type: database, database: {url: 'jdbc:postgresql://db/x',"
                + " existingSecret: db}}\n"),
        Arguments.of("vault store", "store: {type: vault, vault: {address: 'https://vault'}}\n"),
        Arguments.of("session rotation", "rotation: {enabled: true, run: '2026-11'}\n"),
        Arguments.of(
            "platform rotation, vault, combined",
            """
            mode: combined
            store: {type: vault, vault: {address: 'https://vault'}}
            rotation: {enabled: true, run: p1, platform: true, ttlSecondsAfterFinished: 600}
            """),
        Arguments.of(
            "transit rotation, vault",
            """
            store: {type: vault, vault: {address: 'https://vault', transit: {key: nbsecrets}}}
            rotation: {enabled: true, run: t1, transit: true, newTransitVersion: true}
            """));
  }

  private static List<PodSpec> podSpecs(List<HasMetadata> objects) {
    List<PodSpec> specs = new ArrayList<>();
    ChartRendering.ofType(objects, Deployment.class)
        .forEach(d -> specs.add(d.getSpec().getTemplate().getSpec()));
    ChartRendering.ofType(objects, Pod.class).forEach(p -> specs.add(p.getSpec()));
    ChartRendering.ofType(objects, Job.class)
        .forEach(j -> specs.add(j.getSpec().getTemplate().getSpec()));
    return specs;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void everyContainerRunsRestricted(String variant, String values) {
    List<HasMetadata> objects = ChartRendering.objects(ChartRendering.renderWithHooks(values));
    assertThat(ChartRendering.ofType(objects, Pod.class)).hasSize(1);
    List<PodSpec> specs = podSpecs(objects);
    for (PodSpec spec : specs) {
      PodSecurityContext pod = spec.getSecurityContext();
      assertThat(pod.getRunAsNonRoot()).isTrue();
      assertThat(pod.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      assertThat(spec.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
      List<Container> all = new ArrayList<>(spec.getContainers());
      if (spec.getInitContainers() != null) {
        all.addAll(spec.getInitContainers());
      }
      for (Container c : all) {
        SecurityContext sc = c.getSecurityContext();
        assertThat(sc).as(c.getName()).isNotNull();
        assertThat(sc.getRunAsNonRoot()).as(c.getName()).isTrue();
        assertThat(sc.getReadOnlyRootFilesystem()).as(c.getName()).isTrue();
        assertThat(sc.getAllowPrivilegeEscalation()).as(c.getName()).isFalse();
        assertThat(sc.getPrivileged()).as(c.getName()).isNotEqualTo(Boolean.TRUE);
        assertThat(sc.getCapabilities().getDrop()).as(c.getName()).containsExactly("ALL");
        assertThat(sc.getCapabilities().getAdd()).as(c.getName()).isNullOrEmpty();
        assertThat(sc.getSeccompProfile().getType()).as(c.getName()).isEqualTo("RuntimeDefault");
        assertThat(c.getResources().getRequests()).as(c.getName()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).as(c.getName()).containsKey("memory");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void longRunningContainersProbeHealthAndReadiness(String variant, String values) {
    List<HasMetadata> objects = ChartRendering.objects(values, Map.of());
    for (Deployment d : ChartRendering.ofType(objects, Deployment.class)) {
      for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        String port = c.getName().equals("api") ? "https" : "management";
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo(port);
        // The kubelet probes the API over TLS (without verifying, as kubelets do).
        String scheme = c.getName().equals("api") ? "HTTPS" : "HTTP";
        assertThat(c.getLivenessProbe().getHttpGet().getScheme()).isIn(scheme, null);
        assertThat(c.getReadinessProbe().getHttpGet().getScheme()).isIn(scheme, null);
        assertThat(c.getPorts()).anyMatch(p -> p.getName().equals(port));
        assertThat(c.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/tmp"));
      }
    }
  }

  private static final Pattern KEY_MATERIAL = Pattern.compile("-----BEGIN|PRIVATE KEY");

  /** A long token of base64 characters mixing digits, upper and lower case: a key or a value. */
  private static final Pattern ENCODED =
      Pattern.compile(
          "(?=[A-Za-z0-9+/_-]*[0-9])(?=[A-Za-z0-9+/_-]*[A-Z])(?=[A-Za-z0-9+/_-]*[a-z])[A-Za-z0-9+/_-]{32,}={0,2}");

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void noSecretValueOrKeyMaterialIsRendered(String variant, String values) {
    String yaml = ChartRendering.render(values);
    List<HasMetadata> objects = ChartRendering.objects(yaml);
    assertThat(objects).noneMatch(o -> o.getKind().equals("Secret"));
    assertThat(objects).noneMatch(o -> o.getKind().equals("ConfigMap"));
    // Everything but the CRD's schema (long descriptions) is scanned for key-like text.
    for (String doc : ChartRendering.documents(yaml)) {
      if (doc.contains("kind: CustomResourceDefinition")) {
        continue;
      }
      assertThat(KEY_MATERIAL.matcher(doc).find()).as(doc).isFalse();
      assertThat(ENCODED.matcher(doc).results().map(r -> r.group()).toList()).as(doc).isEmpty();
      assertThat(doc).doesNotContain("stringData:").doesNotContain("\ndata:");
    }
    for (PodSpec spec : podSpecs(objects)) {
      for (Container c : spec.getContainers()) {
        for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
          // The Transit key setting is the key's name in Vault, not key material.
          if (e.getName().matches(".*_(PASSWORD|TOKEN|KEY|SECRET)")
              && !e.getName().equals("NBSECRETS_STORE_VAULT_TRANSIT_KEY")) {
            assertThat(e.getValue()).as(e.getName()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef()).as(e.getName()).isNotNull();
          }
        }
        assertThat(c.getArgs() == null ? List.<String>of() : c.getArgs())
            .noneMatch(a -> a.contains("-----BEGIN"));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void everyObjectCarriesTheRecommendedLabels(String variant, String values) {
    for (HasMetadata o : ChartRendering.objects(values, Map.of())) {
      Map<String, String> labels = o.getMetadata().getLabels();
      String what = o.getKind() + " " + o.getMetadata().getName();
      assertThat(labels).as(what).containsKeys(RECOMMENDED_LABELS.toArray(String[]::new));
      assertThat(labels).as(what).containsEntry("app.kubernetes.io/name", "nbsecrets");
      assertThat(labels).as(what).containsEntry("app.kubernetes.io/instance", "nbsecrets");
      assertThat(labels).as(what).containsEntry("app.kubernetes.io/version", "0.1.0");
      assertThat(labels).as(what).containsEntry("app.kubernetes.io/part-of", "nbsecrets");
    }
    for (Deployment d :
        ChartRendering.ofType(ChartRendering.objects(values, Map.of()), Deployment.class)) {
      assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
          .containsKeys(RECOMMENDED_LABELS.toArray(String[]::new));
    }
  }

  private static List<String> operatorArgs(List<HasMetadata> objects) {
    return ChartRendering.ofType(objects, Deployment.class).stream()
        .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
        .filter(c -> c.getName().equals("operator"))
        .findFirst()
        .orElseThrow()
        .getArgs();
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void leaderElectionIsOnWhenThereIsMoreThanOneOperator(String mode) {
    for (int replicas : new int[] {0, 1, 2, 5}) {
      List<HasMetadata> objects =
          ChartRendering.objects(
              "mode: " + mode + "\noperator: {replicas: " + replicas + "}\n", Map.of());
      Deployment operator =
          ChartRendering.ofType(objects, Deployment.class).stream()
              .filter(
                  d ->
                      d.getSpec().getTemplate().getSpec().getContainers().stream()
                          .anyMatch(c -> c.getName().equals("operator")))
              .findFirst()
              .orElseThrow();
      assertThat(operator.getSpec().getReplicas()).isEqualTo(replicas);
      if (replicas > 1) {
        assertThat(operatorArgs(objects)).contains("--leader-election");
      } else {
        assertThat(operatorArgs(objects)).doesNotContain("--leader-election");
      }
    }
  }

  /**
   * An identity provider's prefix ends with a colon ({@code oidc:}), which YAML reads as a map key
   * when the argument is not quoted: the arguments are strings whatever the values hold.
   */
  @Test
  void aUsernamePrefixOrAudienceEndingWithAColonRendersAsOneArgument() {
    List<HasMetadata> objects =
        ChartRendering.objects(
            "mode: split\napi: {usernamePrefix: \"oidc:\", podTokenAudience: \"aud: x:\"}\n",
            Map.of());
    List<String> apiArgs =
        ChartRendering.ofType(objects, Deployment.class).stream()
            .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
            .filter(c -> c.getName().equals("api"))
            .flatMap(c -> c.getArgs().stream())
            .toList();
    assertThat(apiArgs).contains("--username-prefix=oidc:", "--pod-token-audience=aud: x:");
    assertThat(operatorArgs(objects)).contains("--pod-token-audience=aud: x:");
  }

  /** The trusted proxies go to the API as one comma-separated flag; none gives no flag. */
  @Test
  void theTrustedProxiesAreOneFlagOfTheApi() {
    assertThat(apiArgs("mode: split\napi: {trustedProxies: [10.244.0.0/16, \"fd00::/8\"]}\n"))
        .contains("--trusted-proxies=10.244.0.0/16,fd00::/8");
    assertThat(apiArgs("mode: split\n")).noneMatch(a -> a.startsWith("--trusted-proxies"));
    assertThatThrownBy(() -> ChartRendering.render("api: {trustedProxies: [ingress.example.org]}"))
        .hasMessageContaining("trustedProxies");
  }

  private static List<String> apiArgs(String values) {
    return ChartRendering.ofType(ChartRendering.objects(values, Map.of()), Deployment.class)
        .stream()
        .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
        .filter(c -> c.getName().equals("api"))
        .flatMap(c -> c.getArgs().stream())
        .toList();
  }

  /**
   * The store's namespace (every user's records) and the CRD (every session) are kept when the
   * release goes: by Helm, and by Argo CD for the namespace (neither pruned nor deleted with the
   * Application).
   */
  @Test
  void theStoreNamespaceAndTheCrdOutliveTheRelease() {
    List<HasMetadata> objects = ChartRendering.objects("", Map.of());
    Namespace store =
        ChartRendering.ofType(objects, Namespace.class).stream()
            .filter(n -> n.getMetadata().getName().equals("nbsecrets-store"))
            .findFirst()
            .orElseThrow();
    assertThat(store.getMetadata().getAnnotations())
        .containsEntry("helm.sh/resource-policy", "keep")
        .containsEntry("argocd.argoproj.io/sync-options", "Prune=false,Delete=false");
    assertThat(crd(objects).getMetadata().getAnnotations())
        .containsEntry("helm.sh/resource-policy", "keep");
    HasMetadata notKept =
        crd(
            ChartRendering.objects(
                "crds: {keep: false, annotations: {a.example/b: c}}\n", Map.of()));
    assertThat(notKept.getMetadata().getAnnotations())
        .containsEntry("a.example/b", "c")
        .doesNotContainKey("helm.sh/resource-policy");
  }

  private static HasMetadata crd(List<HasMetadata> objects) {
    return objects.stream()
        .filter(o -> o.getKind().equals("CustomResourceDefinition"))
        .findFirst()
        .orElseThrow();
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void operatorAndApiFlagsFollowTheValues(String mode) {
    List<HasMetadata> objects =
        ChartRendering.objects(
            "mode: " + mode + "\nrbac: {watchNamespaces: [team-a, team-b]}\n", Map.of());
    assertThat(operatorArgs(objects))
        .startsWith("operator")
        .contains(
            "--namespace=$(POD_NAMESPACE)",
            "--watch-namespaces=team-a,team-b",
            "--api-url=https://nbsecrets-api.nbsecrets.svc:8443",
            "--api-ca-configmap=nbsecrets-api-ca-bundle",
            "--init-image=ghcr.io/nbsecrets/nbsecrets:0.1.0",
            "--session-uid=1000",
            "--session-gid=100",
            "--key-algorithm=mlkem768-x25519",
            "--management-port=8081");
    Container api =
        ChartRendering.ofType(objects, Deployment.class).stream()
            .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
            .filter(c -> c.getName().equals("api"))
            .findFirst()
            .orElseThrow();
    assertThat(api.getArgs())
        .startsWith("api")
        .contains(
            "--port=8443",
            "--tls=generate",
            "--tls-dns-name=nbsecrets-api,nbsecrets-api.nbsecrets,nbsecrets-api.nbsecrets.svc,"
                + "nbsecrets-api.nbsecrets.svc.cluster.local",
            "--max-value-bytes=131072",
            "--max-secrets-per-user=1000",
            "--pod-token-audience=nbsecrets")
        .noneMatch(
            a ->
                a.startsWith("--platform-key-file")
                    || a.startsWith("--dev-tokens")
                    || a.startsWith("--allow-service-account-users"));
    assertThat(
            ChartRendering.ofType(
                    ChartRendering.objects(
                        "mode: " + mode + "\napi: {allowServiceAccountUsers: true}\n", Map.of()),
                    Deployment.class)
                .stream()
                .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
                .filter(c -> c.getName().equals("api"))
                .flatMap(c -> c.getArgs().stream()))
        .contains("--allow-service-account-users");
    assertThat(api.getEnv())
        .anyMatch(
            e ->
                e.getName().equals("POD_NAMESPACE")
                    && e.getValueFrom().getFieldRef().getFieldPath().equals("metadata.namespace"));
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void existingKeysAreMountedAsFilesIntoTheRoleThatOwnsThem(String mode) {
    List<HasMetadata> objects =
        ChartRendering.objects(
            "mode: "
                + mode
                + "\nkeys:\n  session: {existingSecret: sk, existingPublicKeyConfigMap: pk,"
                + " privateKeyItems: [old.pem, new.pem]}\n  platform: {existingSecret: plk}\n",
            Map.of());
    assertThat(operatorArgs(objects))
        .contains(
            "--session-key-file=/etc/nbsecrets/session-keys/old.pem",
            "--session-key-file=/etc/nbsecrets/session-keys/new.pem");
    for (Deployment d : ChartRendering.ofType(objects, Deployment.class)) {
      for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
        List<String> mounts = c.getVolumeMounts().stream().map(m -> m.getName()).toList();
        if (c.getName().equals("api")) {
          assertThat(mounts)
              .contains("platform-key", "session-public-key")
              .doesNotContain("session-keys");
          assertThat(c.getArgs())
              .contains(
                  "--platform-key-file=/etc/nbsecrets/platform-key/platform.key",
                  "--session-public-key-file=/etc/nbsecrets/session-public-key/public.pem");
        } else {
          assertThat(mounts).contains("session-keys").doesNotContain("platform-key");
        }
      }
    }
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void networkPolicyLetsOnlySessionPodsAndTheIngressNamespaceReachTheApi(String mode) {
    List<HasMetadata> objects = ChartRendering.objects("mode: " + mode + "\n", Map.of());
    NetworkPolicy policy = ChartRendering.named(objects, NetworkPolicy.class, "nbsecrets-api");
    Service service = ChartRendering.named(objects, Service.class, "nbsecrets-api");
    Deployment apiDeployment =
        ChartRendering.ofType(objects, Deployment.class).stream()
            .filter(
                d ->
                    d.getSpec().getTemplate().getSpec().getContainers().stream()
                        .anyMatch(c -> c.getName().equals("api")))
            .findFirst()
            .orElseThrow();
    Map<String, String> podLabels = apiDeployment.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
    assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
    // The selector picks only the API's pods in split mode, not the operator's.
    if (mode.equals("split")) {
      Deployment operator = ChartRendering.named(objects, Deployment.class, "nbsecrets-operator");
      assertThat(operator.getSpec().getTemplate().getMetadata().getLabels())
          .doesNotContainEntry(
              "app.kubernetes.io/component",
              policy
                  .getSpec()
                  .getPodSelector()
                  .getMatchLabels()
                  .get("app.kubernetes.io/component"));
    }
    assertThat(policy.getSpec().getIngress()).hasSize(1);
    var rule = policy.getSpec().getIngress().get(0);
    assertThat(rule.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getPort().getStrVal()).isEqualTo("https"));
    List<NetworkPolicyPeer> from = rule.getFrom();
    assertThat(from).hasSize(3);
    NetworkPolicyPeer sessions = from.get(0);
    assertThat(sessions.getNamespaceSelector()).isEqualTo(new LabelSelector());
    assertThat(sessions.getPodSelector().getMatchLabels())
        .isEqualTo(Map.of("app.kubernetes.io/name", "notebook-session"));
    NetworkPolicyPeer testPod = from.get(1);
    assertThat(testPod.getNamespaceSelector()).isNull();
    assertThat(testPod.getPodSelector().getMatchLabels())
        .isEqualTo(Map.of("nbsecrets.io/api-client", "true"));
    Pod test =
        ChartRendering.ofType(
                ChartRendering.objects(ChartRendering.renderWithHooks("mode: " + mode + "\n")),
                Pod.class)
            .get(0);
    assertThat(test.getMetadata().getLabels()).containsEntry("nbsecrets.io/api-client", "true");
    // The test pod verifies the API's certificate against the CA bundle the API publishes.
    assertThat(test.getSpec().getContainers().get(0).getArgs())
        .containsSequence("--cacert", "/etc/nbsecrets/ca/ca.crt")
        .anyMatch(a -> a.equals("https://nbsecrets-api.nbsecrets.svc:8443/healthz"));
    assertThat(test.getSpec().getVolumes())
        .singleElement()
        .satisfies(
            v -> assertThat(v.getConfigMap().getName()).isEqualTo("nbsecrets-api-ca-bundle"));
    NetworkPolicyPeer ingress = from.get(2);
    assertThat(ingress.getPodSelector()).isNull();
    assertThat(ingress.getNamespaceSelector().getMatchLabels())
        .isEqualTo(Map.of("kubernetes.io/metadata.name", "ingress-nginx"));
    // Without an ingress namespace only session pods (and the test pod) remain.
    NetworkPolicy noIngress =
        ChartRendering.named(
            ChartRendering.objects(
                "mode: " + mode + "\nnetworkPolicy: {ingressNamespace: ''}\n", Map.of()),
            NetworkPolicy.class,
            "nbsecrets-api");
    assertThat(noIngress.getSpec().getIngress().get(0).getFrom()).hasSize(2);
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void disruptionBudgetsSelectTheDeployments(String mode) {
    List<HasMetadata> objects = ChartRendering.objects("mode: " + mode + "\n", Map.of());
    List<PodDisruptionBudget> pdbs = ChartRendering.ofType(objects, PodDisruptionBudget.class);
    List<Deployment> deployments = ChartRendering.ofType(objects, Deployment.class);
    assertThat(pdbs).hasSameSizeAs(deployments);
    for (Deployment d : deployments) {
      assertThat(pdbs)
          .anyMatch(
              p ->
                  d.getSpec()
                      .getTemplate()
                      .getMetadata()
                      .getLabels()
                      .entrySet()
                      .containsAll(p.getSpec().getSelector().getMatchLabels().entrySet()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Key rotation

  private static final Pattern DNS_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");

  private static Job rotationJob(List<HasMetadata> objects) {
    List<Job> jobs = ChartRendering.ofType(objects, Job.class);
    assertThat(jobs).hasSize(1);
    return jobs.get(0);
  }

  private static Container container(Job job) {
    List<Container> containers = job.getSpec().getTemplate().getSpec().getContainers();
    assertThat(containers).hasSize(1);
    return containers.get(0);
  }

  private static Container apiContainer(List<HasMetadata> objects) {
    return ChartRendering.ofType(objects, Deployment.class).stream()
        .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
        .filter(c -> c.getName().equals("api"))
        .findFirst()
        .orElseThrow();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "",
        "rotation: {enabled: false}\n",
        "rotation: {run: ''}\n",
        "rotation: {enabled: false, platform: true}\n",
        "mode: combined\n"
      })
  void withoutRotationThereIsNoRotationObject(String values) {
    List<HasMetadata> objects = ChartRendering.objects(values, Map.of());
    assertThat(objects)
        .noneMatch(
            o ->
                "rotation".equals(o.getMetadata().getLabels().get("app.kubernetes.io/component"))
                    || o.getMetadata().getName().contains("rotat"));
    assertThat(ChartRendering.ofType(objects, Job.class)).isEmpty();
  }

  @Test
  void rotationWithoutRunGrantsButRunsNothing() {
    List<HasMetadata> objects = ChartRendering.objects("rotation: {enabled: true}\n", Map.of());
    assertThat(ChartRendering.ofType(objects, Job.class)).isEmpty();
    ServiceAccount sa = ChartRendering.named(objects, ServiceAccount.class, "nbsecrets-rotation");
    assertThat(sa.getMetadata().getNamespace()).isEqualTo(ChartRendering.NAMESPACE);
    assertThat(sa.getAutomountServiceAccountToken()).isFalse();
    assertThat(sa.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/component", "rotation");
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void theRotationJobRotatesTheSessionKeyPairByDefault(String mode) {
    List<HasMetadata> objects =
        ChartRendering.objects(
            "mode: " + mode + "\nrotation: {enabled: true, run: '2026-11'}\n", Map.of());
    Job job = rotationJob(objects);
    assertThat(job.getMetadata().getName()).isEqualTo("nbsecrets-rotate-keys-2026-11");
    assertThat(job.getMetadata().getNamespace()).isEqualTo(ChartRendering.NAMESPACE);
    assertThat(job.getMetadata().getAnnotations())
        .containsEntry("nbsecrets.io/rotation-run", "2026-11")
        .containsEntry("nbsecrets.io/rotated-key", "session")
        .containsEntry("argocd.argoproj.io/sync-wave", "1");
    assertThat(job.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/component", "rotation");
    assertThat(job.getSpec().getBackoffLimit()).isBetween(1, 3);
    // Kept once finished (its log); a re-created Job finds its --run-id done and does nothing.
    assertThat(job.getSpec().getTtlSecondsAfterFinished()).isNull();
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getServiceAccountName()).isEqualTo("nbsecrets-rotation");
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getEnableServiceLinks()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getVolumes()).extracting(v -> v.getName()).containsExactly("tmp");
    Container c = container(job);
    assertThat(c.getName()).isEqualTo("rotate-keys");
    assertThat(c.getImage()).isEqualTo("ghcr.io/nbsecrets/nbsecrets:0.1.0");
    assertThat(c.getArgs())
        .containsExactly(
            "rotate-keys",
            "--namespace=$(POD_NAMESPACE)",
            "--run-id=nbsecrets-rotate-keys-2026-11",
            "--batch-size=500",
            "--propagation-wait-seconds=30");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getEnv()).isEqualTo(apiContainer(objects).getEnv());
    assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).containsExactly("/tmp");
  }

  @Test
  void theRotationJobFollowsTheValues() {
    List<HasMetadata> objects =
        ChartRendering.objects(
            """
            store: {type: vault, vault: {address: 'https://vault'}}
            image: {tag: '0.2.0'}
            rotation:
              enabled: true
              run: '2026-11-platform'
              platform: true
              batchSize: 50
              parallelism: 4
              propagationWaitSeconds: 90
              keepOldKeys: true
              ttlSecondsAfterFinished: 3600
              vaultRole: nbsecrets-rotation
              extraEnv: [{name: JAVA_TOOL_OPTIONS, value: '-XX:MaxRAMPercentage=75'}]
              nodeSelector: {pool: batch}
              podAnnotations: {example.com/team: platform}
            """,
            Map.of());
    Job job = rotationJob(objects);
    assertThat(job.getMetadata().getName()).isEqualTo("nbsecrets-rotate-keys-2026-11-platform");
    assertThat(job.getMetadata().getAnnotations())
        .containsEntry("nbsecrets.io/rotated-key", "platform");
    assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(3600);
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).isEqualTo(Map.of("pool", "batch"));
    assertThat(job.getSpec().getTemplate().getMetadata().getAnnotations())
        .isEqualTo(Map.of("example.com/team", "platform"));
    Container c = container(job);
    assertThat(c.getImage()).isEqualTo("ghcr.io/nbsecrets/nbsecrets:0.2.0");
    // --key-algorithm is for session keys only.
    assertThat(c.getArgs())
        .containsExactly(
            "rotate-keys",
            "--namespace=$(POD_NAMESPACE)",
            "--run-id=nbsecrets-rotate-keys-2026-11-platform",
            "--platform",
            "--batch-size=50",
            "--parallelism=4",
            "--propagation-wait-seconds=90",
            "--keep-old-keys",
            "--set=store.vault.auth.role=nbsecrets-rotation");
    assertThat(c.getEnv())
        .startsWith(apiContainer(objects).getEnv().toArray(EnvVar[]::new))
        .anyMatch(e -> e.getName().equals("JAVA_TOOL_OPTIONS"));
    // The same values rotating the session key pair, with a kubernetes store: no --set.
    Container session =
        container(
            rotationJob(
                ChartRendering.objects(
                    "rotation: {enabled: true, run: r2, keyAlgorithm: rsa-3072, vaultRole: x}\n",
                    Map.of())));
    assertThat(session.getArgs())
        .contains("--key-algorithm=rsa-3072")
        .noneMatch(a -> a.startsWith("--set") || a.equals("--platform"));
  }

  @ParameterizedTest(name = "store {0}, mode {1}")
  @MethodSource("io.nbsecrets.chart.ChartTemplateTest#storesAndModes")
  void theRotationJobHasTheApisStoreSettings(String store, String mode) {
    List<HasMetadata> objects =
        ChartRendering.objects(
            ChartTemplateTest.storeValues(store)
                + "mode: "
                + mode
                + "\nrotation: {enabled: true, run: r1}\n",
            Map.of());
    List<EnvVar> env = container(rotationJob(objects)).getEnv();
    assertThat(env).isEqualTo(apiContainer(objects).getEnv());
    assertThat(env)
        .anyMatch(e -> e.getName().equals("NBSECRETS_STORE_TYPE") && e.getValue().equals(store));
    if (store.equals("database")) {
      assertThat(env)
          .anyMatch(
              e ->
                  e.getName().equals("NBSECRETS_STORE_DATABASE_PASSWORD")
                      && e.getValue() == null
                      && e.getValueFrom().getSecretKeyRef().getName().equals("nbsecrets-db"));
    }
  }

  static Stream<Arguments> runs() {
    return Stream.of(
        Arguments.of("2026-11", "", "nbsecrets-rotate-keys-2026-11"),
        Arguments.of("r1", "", "nbsecrets-rotate-keys-r1"),
        Arguments.of("2026-11-23", "", "nbsecrets-rotate-keys-2026-11-23"),
        Arguments.of("Q4.2026_b", "", "nbsecrets-rotate-keys-q4-2026-b-[0-9a-f]{8}"),
        Arguments.of("x".repeat(63), "", "nbsecrets-rotate-keys-x{32}-[0-9a-f]{8}"),
        Arguments.of("2026-11", "a".repeat(50), "a{50}-rot-[0-9a-f]{8}"),
        Arguments.of("2026-11", "a".repeat(40), "a{40}-rotate-keys-2026-11"));
  }

  @ParameterizedTest(name = "run {0}, fullnameOverride {1}")
  @MethodSource("runs")
  void theJobNameIsADnsLabelNamingTheRun(String run, String fullname, String expected) {
    String name =
        rotationJob(
                ChartRendering.objects(
                    "fullnameOverride: '"
                        + fullname
                        + "'\nrotation: {enabled: true, run: '"
                        + run
                        + "'}\n",
                    Map.of()))
            .getMetadata()
            .getName();
    assertThat(name).hasSizeLessThanOrEqualTo(63).matches(DNS_LABEL).matches(expected);
  }

  @Test
  void differentRunsNeverShareAJob() {
    for (String fullname : List.of("", "a".repeat(50))) {
      List<String> runs =
          List.of(
              "2026-11",
              "2026-11-b",
              "Q4",
              "q4",
              "a.b",
              "a-b",
              "a_b",
              "x".repeat(63),
              "x".repeat(62) + "y",
              "x".repeat(61) + "yy");
      Set<String> names = new HashSet<>();
      for (String run : runs) {
        names.add(
            rotationJob(
                    ChartRendering.objects(
                        "fullnameOverride: '"
                            + fullname
                            + "'\nrotation: {enabled: true, run: '"
                            + run
                            + "'}\n",
                        Map.of()))
                .getMetadata()
                .getName());
      }
      assertThat(names).as("fullnameOverride '%s'", fullname).hasSameSizeAs(runs);
    }
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void noPolicyOrBudgetSelectsTheRotationJob(String mode) {
    List<HasMetadata> objects =
        ChartRendering.objects(
            "mode: " + mode + "\nrotation: {enabled: true, run: r1}\n", Map.of());
    Map<String, String> podLabels =
        rotationJob(objects).getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsEntry("app.kubernetes.io/component", "rotation");
    List<Map<String, String>> selectors = new ArrayList<>();
    ChartRendering.ofType(objects, NetworkPolicy.class)
        .forEach(p -> selectors.add(p.getSpec().getPodSelector().getMatchLabels()));
    ChartRendering.ofType(objects, PodDisruptionBudget.class)
        .forEach(p -> selectors.add(p.getSpec().getSelector().getMatchLabels()));
    assertThat(selectors).hasSizeGreaterThan(1);
    for (Map<String, String> selector : selectors) {
      assertThat(podLabels.entrySet().containsAll(selector.entrySet()))
          .as("%s", selector)
          .isFalse();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Vault Transit

  private static final String VAULT = "store: {type: vault, vault: {address: 'https://vault'}}\n";

  private static List<EnvVar> transitEnv(List<EnvVar> env) {
    return env.stream().filter(e -> e.getName().contains("TRANSIT")).toList();
  }

  @ParameterizedTest(name = "mode {0}")
  @ValueSource(strings = {"split", "combined"})
  void theTransitSettingsReachEveryStoreClientOnlyWhenAKeyIsSet(String mode) {
    String values = VAULT + "mode: " + mode + "\nrotation: {enabled: true, run: r1}\n";
    // Off by default, a mount alone included.
    for (Map<String, Object> sets :
        List.<Map<String, Object>>of(Map.of(), Map.of("store.vault.transit.mount", "kms"))) {
      List<HasMetadata> objects = ChartRendering.objects(values, sets);
      assertThat(transitEnv(apiContainer(objects).getEnv())).isEmpty();
      assertThat(transitEnv(operatorContainer(objects).getEnv())).isEmpty();
      assertThat(transitEnv(container(rotationJob(objects)).getEnv())).isEmpty();
    }
    List<HasMetadata> defaultMount =
        ChartRendering.objects(values, Map.of("store.vault.transit.key", "nbsecrets"));
    assertThat(transitEnv(apiContainer(defaultMount).getEnv()))
        .extracting(EnvVar::getName, EnvVar::getValue)
        .containsExactly(
            tuple("NBSECRETS_STORE_VAULT_TRANSIT_KEY", "nbsecrets"),
            tuple("NBSECRETS_STORE_VAULT_TRANSIT_MOUNT", "transit"));
    List<HasMetadata> objects =
        ChartRendering.objects(
            values,
            Map.of(
                "store.vault.transit.key", "team.a-key_1", "store.vault.transit.mount", "kms/eu"));
    List<EnvVar> api = apiContainer(objects).getEnv();
    assertThat(transitEnv(api))
        .extracting(EnvVar::getName, EnvVar::getValue)
        .containsExactly(
            tuple("NBSECRETS_STORE_VAULT_TRANSIT_KEY", "team.a-key_1"),
            tuple("NBSECRETS_STORE_VAULT_TRANSIT_MOUNT", "kms/eu"));
    // The API, the operator and the rotation Job have the very same store settings.
    assertThat(operatorContainer(objects).getEnv()).isEqualTo(api);
    assertThat(container(rotationJob(objects)).getEnv()).isEqualTo(api);
  }

  @Test
  void valuesOfAnOlderReleaseStillRenderAndTheOperatorUsesItsDefaultAlgorithm() {
    // helm upgrade --reuse-values of a release from before keys.algorithm: keyBits is set, and the
    // new key is absent (null removes it, as the reused values lack it).
    List<HasMetadata> objects =
        ChartRendering.objects(
            "keys: {keyBits: 2048, algorithm: null}\nrotation: {keyBits: 4096}\n", Map.of());

    assertThat(operatorContainer(objects).getArgs())
        .noneMatch(a -> a.startsWith("--key-algorithm"))
        .noneMatch(a -> a.startsWith("--key-bits"));
    assertThat(
            operatorContainer(ChartRendering.objects("keys: {algorithm: x25519}\n", Map.of()))
                .getArgs())
        .contains("--key-algorithm=x25519");
  }

  private static Container operatorContainer(List<HasMetadata> objects) {
    return ChartRendering.ofType(objects, Deployment.class).stream()
        .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream())
        .filter(c -> c.getName().equals("operator"))
        .findFirst()
        .orElseThrow();
  }

  @ParameterizedTest(name = "new version {0}")
  @ValueSource(booleans = {false, true})
  void theTransitRotationJobRewrapsUnderTheTransitKey(boolean newVersion) {
    List<HasMetadata> objects =
        ChartRendering.objects(
            """
            store: {type: vault, vault: {address: 'https://vault', transit: {key: nbsecrets}}}
            rotation:
              enabled: true
              run: '2026-12-transit'
              transit: true
              vaultRole: nbsecrets-rotation
            """,
            Map.of("rotation.newTransitVersion", newVersion));
    Job job = rotationJob(objects);
    assertThat(job.getMetadata().getAnnotations())
        .containsEntry("nbsecrets.io/rotated-key", "transit");
    Container c = container(job);
    List<String> expected = new ArrayList<>();
    expected.addAll(
        List.of(
            "rotate-keys",
            "--namespace=$(POD_NAMESPACE)",
            "--run-id=nbsecrets-rotate-keys-2026-12-transit",
            "--transit"));
    if (newVersion) {
      expected.add("--new-transit-version");
    }
    expected.addAll(
        List.of(
            "--batch-size=500",
            "--propagation-wait-seconds=30",
            "--set=store.vault.auth.role=nbsecrets-rotation"));
    // No --key-algorithm (no session key is made) and no --platform.
    assertThat(c.getArgs()).containsExactlyElementsOf(expected);
    assertThat(c.getEnv()).isEqualTo(apiContainer(objects).getEnv());
    assertThat(transitEnv(c.getEnv())).hasSize(2);
    assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
        .extracting(v -> v.getName())
        .containsExactly("tmp");
  }

  @Test
  void aTransitRotationDoesNotNeedTheGeneratedSessionKeyPair() {
    // It rotates no session key: keys from files do not stop it (records under them stay).
    List<HasMetadata> objects =
        ChartRendering.objects(
            """
            store: {type: vault, vault: {address: 'https://vault', transit: {key: nbsecrets}}}
            keys:
              session: {existingSecret: sk, existingPublicKeyConfigMap: pk}
            rotation: {enabled: true, run: t1, transit: true}
            """,
            Map.of());
    assertThat(container(rotationJob(objects)).getArgs()).contains("--transit");
  }

  @Test
  void tlsModesRenderWhatEachNeeds() {
    // certManager: a Certificate for the Service's names, mounted into the API as files.
    List<HasMetadata> cm =
        ChartRendering.objects(
            "api: {tls: {mode: certManager, certManager: {issuerRef: {name: team-ca}}}}\n",
            Map.of());
    GenericKubernetesResource certificate =
        cm.stream()
            .filter(o -> o.getKind().equals("Certificate"))
            .map(GenericKubernetesResource.class::cast)
            .findFirst()
            .orElseThrow();
    Map<String, Object> spec = certificate.get("spec");
    assertThat(spec.get("secretName")).isEqualTo("nbsecrets-api-tls");
    assertThat(String.valueOf(spec.get("dnsNames"))).contains("nbsecrets-api.nbsecrets.svc,");
    assertThat(((Map<?, ?>) spec.get("issuerRef")).get("name")).isEqualTo("team-ca");
    Container api = apiContainer(cm);
    assertThat(api.getArgs()).contains("--tls=files", "--tls-dir=/etc/nbsecrets/tls");
    assertThat(api.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/etc/nbsecrets/tls"));
    assertThat(ChartRendering.render("api: {tls: {mode: generate}}\n"))
        .doesNotContain("kind: Certificate");

    // none: plain HTTP, said to the operator explicitly.
    List<HasMetadata> none = ChartRendering.objects("api: {tls: {mode: none}}\n", Map.of());
    assertThat(apiContainer(none).getArgs()).contains("--tls=none");
    assertThat(operatorArgs(none))
        .contains("--api-url=http://nbsecrets-api.nbsecrets.svc:8443", "--insecure-api-http");

    // A mode the chart does not know, or certManager without an issuer: refused with the reason.
    assertThatThrownBy(() -> ChartRendering.render("api: {tls: {mode: selfsigned}}\n"))
        .hasMessageContaining("/api/tls/mode");
    assertThatThrownBy(() -> ChartRendering.render("api: {tls: {mode: certManager}}\n"))
        .hasMessageContaining("issuerRef.name");
  }
}
