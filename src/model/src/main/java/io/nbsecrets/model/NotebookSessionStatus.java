package io.nbsecrets.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state of a session. Holds names and versions of secrets, never values. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonDeserialize(using = NotebookSessionStatus.Reader.class)
public class NotebookSessionStatus {

  /**
   * Reads a status that a newer operator may have written: fields this one does not know, or of
   * other types, are left out. Nothing is reported: the status is this operator's own output and is
   * written whole on the next reconcile.
   */
  public static final class Reader extends TolerantDeserializer<NotebookSessionStatus> {
    private static final long serialVersionUID = 1L;

    public Reader() {
      super(NotebookSessionStatus.class, "status");
    }

    @Override
    protected NotebookSessionStatus withProblems(
        NotebookSessionStatus status, List<String> problems) {
      return status;
    }

    @Override
    protected NotebookSessionStatus empty() {
      return new NotebookSessionStatus();
    }
  }

  @JsonPropertyDescription("The generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Ready, SecretsReady and WorkloadReady, in Kubernetes' standard shape.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The secrets mounted in the session: names and versions, never values.")
  private List<MountedSecret> secrets;

  @JsonPropertyDescription(
      "How many secrets are mounted (the size of secrets, for kubectl's Secrets column).")
  private Integer secretCount;

  @JsonPropertyDescription("The session's pod.")
  private String podName;

  @JsonPropertyDescription(
      "The per-session Secret the session's StatefulSet mounts, as of the last reconcile that"
          + " went through: once-encrypted values only, never plaintext.")
  private String secretName;

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public List<MountedSecret> getSecrets() {
    return secrets;
  }

  /** Sets the mounted secrets, and their count with them. */
  public void setSecrets(List<MountedSecret> secrets) {
    this.secrets = secrets;
    this.secretCount = secrets == null ? null : secrets.size();
  }

  public Integer getSecretCount() {
    return secretCount;
  }

  public void setSecretCount(Integer secretCount) {
    this.secretCount = secretCount;
  }

  public String getPodName() {
    return podName;
  }

  public void setPodName(String podName) {
    this.podName = podName;
  }

  public String getSecretName() {
    return secretName;
  }

  public void setSecretName(String secretName) {
    this.secretName = secretName;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof NotebookSessionStatus)) {
      return false;
    }
    NotebookSessionStatus that = (NotebookSessionStatus) o;
    return Objects.equals(observedGeneration, that.observedGeneration)
        && Objects.equals(conditions, that.conditions)
        && Objects.equals(secrets, that.secrets)
        && Objects.equals(secretCount, that.secretCount)
        && Objects.equals(podName, that.podName)
        && Objects.equals(secretName, that.secretName);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, conditions, secrets, secretCount, podName, secretName);
  }
}
