package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.Helm;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's ways for users to reach the API — an Ingress, or a Gateway API HTTPRoute with a
 * BackendTLSPolicy — as rendered by the real {@code helm} and created on the real API server, whose
 * validation (the Ingress schema; the Gateway API v1.6.3 CRDs' schemas and CEL rules, installed
 * from their Go module) accepts them, and refuses a bad value the chart passes through.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiRoutesOnApiServerTest {
  private static final String NS = "nbs-routes";
  private ControlPlane cp;
  private KubernetesClient admin;

  @BeforeAll
  void installCrds() throws Exception {
    cp = RealApiServer.get();
    admin = cp.client(ControlPlane.ADMIN);
    for (Path crd : cp.gatewayApiCrds()) {
      CustomResourceDefinition d =
          admin.apiextensions().v1().customResourceDefinitions().load(crd.toFile()).item();
      admin.resource(d).serverSideApply();
      admin
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(d.getMetadata().getName())
          .waitUntilCondition(
              c ->
                  c != null
                      && c.getStatus() != null
                      && c.getStatus().getConditions() != null
                      && c.getStatus().getConditions().stream()
                          .anyMatch(
                              x ->
                                  x.getType().equals("Established")
                                      && x.getStatus().equals("True")),
              30,
              TimeUnit.SECONDS);
    }
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
  }

  @AfterAll
  void close() {
    if (admin != null) {
      admin.namespaces().withName(NS).delete();
      admin.close();
    }
  }

  /** {@code helm template --show-only templates/api-routes.yaml} with these --set pairs. */
  private List<HasMetadata> render(String... sets) throws Exception {
    List<String> args = new ArrayList<>(List.of("template", "nbsecrets", Helm.CHART.toString()));
    args.addAll(List.of("--namespace", NS, "--show-only", "templates/api-routes.yaml"));
    for (String s : sets) {
      args.addAll(List.of("--set", s));
    }
    String yaml = new Helm(cp).run(args);
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
        objects.add(
            Serialization.unmarshal(
                new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8)),
                GenericKubernetesResource.class));
      }
    }
    return objects;
  }

  @Test
  void theRealApiServerAcceptsTheIngressTheHttpRouteAndTheBackendTlsPolicy() throws Exception {
    List<HasMetadata> objects =
        render(
            "api.ingress.enabled=true",
            "api.ingress.host=secrets.example.org",
            "api.ingress.className=nginx",
            "api.ingress.tls[0].secretName=secrets-tls",
            "api.httpRoute.enabled=true",
            "api.httpRoute.parentRefs[0].name=public",
            "api.httpRoute.parentRefs[0].namespace=gateways",
            "api.httpRoute.hostnames[0]=secrets.example.org");
    assertThat(objects)
        .extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder("Ingress", "HTTPRoute", "BackendTLSPolicy");
    for (HasMetadata o : objects) {
      admin.resource(o).create();
    }
    Ingress ingress =
        admin.network().v1().ingresses().inNamespace(NS).withName("nbsecrets-api").get();
    assertThat(ingress.getSpec().getRules().get(0).getHost()).isEqualTo("secrets.example.org");
    GenericKubernetesResource route =
        admin
            .genericKubernetesResources("gateway.networking.k8s.io/v1", "HTTPRoute")
            .inNamespace(NS)
            .withName("nbsecrets-api")
            .get();
    assertThat(route.get("spec", "hostnames").toString()).isEqualTo("[secrets.example.org]");
    GenericKubernetesResource policy =
        admin
            .genericKubernetesResources("gateway.networking.k8s.io/v1", "BackendTLSPolicy")
            .inNamespace(NS)
            .withName("nbsecrets-api")
            .get();
    assertThat((String) policy.get("spec", "validation", "hostname"))
        .isEqualTo("nbsecrets-api." + NS + ".svc");
    for (HasMetadata o : objects) {
      admin.resource(o).delete();
    }
  }

  @Test
  void aHostnameTheGatewayApiRefusesIsRefusedAtInstallWithTheFieldNamed() throws Exception {
    List<HasMetadata> objects =
        render(
            "api.httpRoute.enabled=true",
            "api.httpRoute.parentRefs[0].name=public",
            "api.httpRoute.hostnames[0]=Not_A_Host");
    HasMetadata route =
        objects.stream().filter(o -> o.getKind().equals("HTTPRoute")).findFirst().orElseThrow();
    assertThatThrownBy(() -> admin.resource(route).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage()).contains("spec.hostnames[0]");
            });
  }
}
