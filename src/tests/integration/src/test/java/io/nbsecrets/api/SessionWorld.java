package io.nbsecrets.api;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a NotebookSession's workload looks like in the (mock) cluster: a namespace bound to the
 * user, the session, its StatefulSet and the StatefulSet's pod, linked by controller owner
 * references. {@link Spec} breaks links on purpose.
 */
record SessionWorld(
    String namespace, String user, NotebookSession session, StatefulSet sts, Pod pod) {
  private static final AtomicInteger counter = new AtomicInteger();

  String podUid() {
    return pod.getMetadata().getUid();
  }

  String podServiceAccount() {
    String sa = pod.getSpec().getServiceAccountName();
    return sa == null ? "default" : sa;
  }

  /** Options for building a world; the defaults give a correct one. */
  static final class Spec {
    String boundUser; // null: same as the session's user
    boolean annotateNamespace = true;
    String sessionServiceAccount; // null: default
    String podServiceAccount; // null: default
    boolean stsOwnedBySession = true;
    boolean podOwnedBySts = true;
  }

  static SessionWorld create(ApiFixture f, Spec spec) {
    int n = counter.incrementAndGet();
    String user = "alice" + n;
    String ns = "ns-" + n;
    Map<String, String> annotations =
        spec.annotateNamespace
            ? Map.of(
                SessionPodResolver.USER_ANNOTATION, spec.boundUser == null ? user : spec.boundUser)
            : Map.of();
    f.client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(ns)
                .withAnnotations(annotations)
                .endMetadata()
                .build())
        .create();

    NotebookSession session = new NotebookSession();
    session.getMetadata().setName("nb");
    session.getMetadata().setNamespace(ns);
    NotebookSessionSpec sessionSpec = new NotebookSessionSpec();
    sessionSpec.setUser(user);
    sessionSpec.setImage("jupyter/base-notebook");
    sessionSpec.setServiceAccountName(spec.sessionServiceAccount);
    session.setSpec(sessionSpec);
    session = f.client.resources(NotebookSession.class).inNamespace(ns).resource(session).create();

    StatefulSetBuilder sts =
        new StatefulSetBuilder()
            .withNewMetadata()
            .withName("nb")
            .withNamespace(ns)
            .endMetadata()
            .withNewSpec()
            .withReplicas(1)
            .withServiceName("nb")
            .endSpec();
    if (spec.stsOwnedBySession) {
      sts.editMetadata().withOwnerReferences(controllerRef(session)).endMetadata();
    }
    StatefulSet createdSts =
        f.client.apps().statefulSets().inNamespace(ns).resource(sts.build()).create();

    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("nb-0")
            .withNamespace(ns)
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(spec.podServiceAccount)
            .addNewContainer()
            .withName("notebook")
            .withImage("jupyter/base-notebook")
            .endContainer()
            .endSpec();
    if (spec.podOwnedBySts) {
      pod.editMetadata().withOwnerReferences(controllerRef(createdSts)).endMetadata();
    }
    Pod createdPod = f.client.pods().inNamespace(ns).resource(pod.build()).create();
    return new SessionWorld(ns, user, session, createdSts, createdPod);
  }

  static OwnerReference controllerRef(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  static String podToken(ApiFixture f, SessionWorld w) {
    return f.authority.podToken(
        w.namespace(),
        w.podServiceAccount(),
        "nb-0",
        w.podUid(),
        "nbsecrets",
        Duration.ofMinutes(10));
  }
}
