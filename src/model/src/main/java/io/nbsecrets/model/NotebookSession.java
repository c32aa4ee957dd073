package io.nbsecrets.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A notebook session that receives some of its owner's secrets.
 *
 * <p>The operator runs it as a StatefulSet of one replica plus a Service, and mounts the selected
 * secrets as files on an in-memory volume.
 */
@Group(NotebookSession.GROUP)
@Version(NotebookSession.VERSION)
@Kind("NotebookSession")
@Plural("notebooksessions")
@Singular("notebooksession")
@ShortNames("nbs")
@AdditionalPrinterColumn(name = "User", jsonPath = ".spec.user", type = Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = Type.STRING)
@AdditionalPrinterColumn(name = "Secrets", jsonPath = ".status.secretCount", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
// A newer CRD may add fields beside spec and status: read what is known (spec and status are read
// tolerantly too, see TolerantDeserializer).
@JsonIgnoreProperties(ignoreUnknown = true)
public class NotebookSession extends CustomResource<NotebookSessionSpec, NotebookSessionStatus>
    implements Namespaced {

  public static final String GROUP = "nbsecrets.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  public static final String KIND = "NotebookSession";

  private static final long serialVersionUID = 1L;
}
