package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.nbsecrets.model.NotebookSession;

/**
 * The session's ClusterIP Service: its pod's {@code http} port, under the session's name (also the
 * StatefulSet's service name), owned by the session.
 */
final class SessionService {
  private SessionService() {}

  static Service service(NotebookSession session) {
    String name = session.getMetadata().getName();
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(session.getMetadata().getNamespace())
        .withLabels(Labels.forSession(name, session.getSpec().getUser(), Labels.COMPONENT_WORKLOAD))
        .withOwnerReferences(Owners.controllerReference(session))
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(Labels.selector(name))
        .addNewPort()
        .withName("http")
        .withPort(WorkloadInputs.port(session.getSpec()))
        .withTargetPort(new IntOrString("http"))
        .withProtocol("TCP")
        .endPort()
        .endSpec()
        .build();
  }
}
