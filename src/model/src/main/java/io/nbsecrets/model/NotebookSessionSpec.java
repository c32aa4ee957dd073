package io.nbsecrets.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Desired state of a session. Optional fields stay null when unset: the operator applies defaults
 * when it builds the workload and never writes them back here (they would cause GitOps diffs).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonDeserialize(using = NotebookSessionSpec.Reader.class)
@ValidationRule(
    value = NotebookSessionSpec.COMMAND_FOR_ENV_RULE,
    message = NotebookSessionSpec.COMMAND_FOR_ENV_MESSAGE)
public class NotebookSessionSpec {
  /**
   * Secrets exported as environment variables need the command: the launcher that loads them runs
   * it, and the operator cannot know an image's entrypoint.
   */
  public static final String COMMAND_FOR_ENV_RULE =
      "(has(self.command) && size(self.command) > 0) || !has(self.secrets)"
          + " || !((has(self.secrets.envAll) && self.secrets.envAll)"
          + " || (has(self.secrets.items) && self.secrets.items.exists(i, has(i.env))))";

  public static final String COMMAND_FOR_ENV_MESSAGE =
      "command is required when secrets are exported as environment variables (secrets.envAll"
          + " or secrets.items[].env): the launcher that loads them runs the command, and the"
          + " image's own entrypoint is unknown to the operator; for the Jupyter Docker Stacks"
          + " images it is [\"tini\", \"-g\", \"--\", \"start-notebook.py\"]";

  /**
   * Reads a spec that may hold fields this operator does not know, or values of other types, as a
   * newer CRD allows: never fails, and records each such field in {@link #unreadableFields}.
   */
  public static final class Reader extends TolerantDeserializer<NotebookSessionSpec> {
    private static final long serialVersionUID = 1L;

    public Reader() {
      super(NotebookSessionSpec.class, "spec");
    }

    @Override
    protected NotebookSessionSpec withProblems(NotebookSessionSpec spec, List<String> problems) {
      spec.unreadable = problems;
      return spec;
    }

    @Override
    protected NotebookSessionSpec empty() {
      return new NotebookSessionSpec();
    }
  }

  /** Fields that were skipped or left out when reading: paths and what was wrong, no values. */
  @JsonIgnore private List<String> unreadable = List.of();

  @Required
  @Size(min = 1, max = 253)
  @ValidationRule(value = "self == oldSelf", message = "user is immutable")
  @JsonPropertyDescription("The owner. The session only ever receives this user's secrets.")
  private String user;

  @Required
  @Size(min = 1, max = 1024)
  @JsonPropertyDescription("Container image of the session.")
  private String image;

  @JsonPropertyDescription("Entrypoint of the session container (the image's when unset).")
  private List<String> command;

  @JsonPropertyDescription("Arguments of the session container.")
  private List<String> args;

  @JsonPropertyDescription("Plain environment variables of the session container (no secrets).")
  private List<EnvEntry> env;

  @JsonPropertyDescription(
      "Port the session listens on, exposed by the session's Service; 8888 when unset.")
  @Min(1)
  @Max(65535)
  private Integer port;

  private ResourceRequirements resources;

  @JsonPropertyDescription(
      "Service account of the session pod; the namespace's default when unset.")
  private String serviceAccountName;

  private Map<String, String> nodeSelector;

  private List<Toleration> tolerations;

  @JsonPropertyDescription("Which of the user's secrets the session receives, and where.")
  private SecretsSpec secrets;

  /**
   * The fields of this spec that the operator could not read (unknown to it, or of another type),
   * each as its path and what was wrong; empty when it read the whole spec.
   */
  public List<String> unreadableFields() {
    return unreadable;
  }

  /**
   * Keeps what was unreadable in {@code original} on this copy of it: a copy made by writing the
   * spec out and reading it back has lost the fields that could not be read, and with them the
   * record of them.
   */
  public void keepUnreadableFieldsOf(NotebookSessionSpec original) {
    this.unreadable = original.unreadable;
  }

  public String getUser() {
    return user;
  }

  public void setUser(String user) {
    this.user = user;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public List<String> getCommand() {
    return command;
  }

  public void setCommand(List<String> command) {
    this.command = command;
  }

  public List<String> getArgs() {
    return args;
  }

  public void setArgs(List<String> args) {
    this.args = args;
  }

  public List<EnvEntry> getEnv() {
    return env;
  }

  public void setEnv(List<EnvEntry> env) {
    this.env = env;
  }

  public Integer getPort() {
    return port;
  }

  public void setPort(Integer port) {
    this.port = port;
  }

  public ResourceRequirements getResources() {
    return resources;
  }

  public void setResources(ResourceRequirements resources) {
    this.resources = resources;
  }

  public String getServiceAccountName() {
    return serviceAccountName;
  }

  public void setServiceAccountName(String serviceAccountName) {
    this.serviceAccountName = serviceAccountName;
  }

  public Map<String, String> getNodeSelector() {
    return nodeSelector;
  }

  public void setNodeSelector(Map<String, String> nodeSelector) {
    this.nodeSelector = nodeSelector;
  }

  public List<Toleration> getTolerations() {
    return tolerations;
  }

  public void setTolerations(List<Toleration> tolerations) {
    this.tolerations = tolerations;
  }

  public SecretsSpec getSecrets() {
    return secrets;
  }

  public void setSecrets(SecretsSpec secrets) {
    this.secrets = secrets;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof NotebookSessionSpec)) {
      return false;
    }
    NotebookSessionSpec that = (NotebookSessionSpec) o;
    return Objects.equals(user, that.user)
        && Objects.equals(image, that.image)
        && Objects.equals(command, that.command)
        && Objects.equals(args, that.args)
        && Objects.equals(env, that.env)
        && Objects.equals(port, that.port)
        && Objects.equals(resources, that.resources)
        && Objects.equals(serviceAccountName, that.serviceAccountName)
        && Objects.equals(nodeSelector, that.nodeSelector)
        && Objects.equals(tolerations, that.tolerations)
        && Objects.equals(secrets, that.secrets);
  }

  @Override
  public int hashCode() {
    return Objects.hash(user, image, command, args, env, port, serviceAccountName, secrets);
  }
}
