package io.nbsecrets.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Arrays;
import java.util.List;

/**
 * The secrets a session selects. Duplicate names and clashing file names are refused by the
 * operator (a CEL rule for them would cost O(n²) and risk the API server's CEL budget).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class SecretsSpec extends ModelValue {
  @JsonPropertyDescription(
      "Absolute directory where the secret files appear (read-only, in memory); /secrets when"
          + " unset. Never a system directory such as /, /bin, /etc, /proc, /usr or /var.")
  @Size(min = 1, max = 255)
  @ValidationRule(
      value = MountPaths.CEL_RULE,
      message = "mountPath must be a normalized absolute path outside the system directories")
  private final String mountPath;

  @JsonPropertyDescription("Include every secret of the user (items may still set file names).")
  private final Boolean all;

  @JsonPropertyDescription(
      "Also export every selected secret as an environment variable under its own name, when"
          + " that name is a POSIX environment name (the others are listed in the SecretsReady"
          + " condition). Needs spec.command. items[].env names one differently.")
  private final Boolean envAll;

  @JsonPropertyDescription(
      "OnRestart (default): values are taken when the session starts. Live: the files of the"
          + " running session follow replacements and deletions in the store within a minute,"
          + " each replaced atomically, without a restart (a deleted secret's file disappears);"
          + " environment variables still change only when the session restarts.")
  private final Refresh refresh;

  @JsonPropertyDescription("Secrets to include, by name.")
  @Size(max = 1000)
  private final List<SecretItem> items;

  public SecretsSpec(String mountPath, Boolean all, List<SecretItem> items) {
    this(mountPath, all, null, null, items);
  }

  public SecretsSpec(String mountPath, Boolean all, Boolean envAll, List<SecretItem> items) {
    this(mountPath, all, envAll, null, items);
  }

  @JsonCreator
  public SecretsSpec(
      @JsonProperty("mountPath") String mountPath,
      @JsonProperty("all") Boolean all,
      @JsonProperty("envAll") Boolean envAll,
      @JsonProperty("refresh") Refresh refresh,
      @JsonProperty("items") List<SecretItem> items) {
    this.mountPath = mountPath;
    this.all = all;
    this.envAll = envAll;
    this.refresh = refresh;
    this.items = items;
  }

  public String getMountPath() {
    return mountPath;
  }

  public Boolean getAll() {
    return all;
  }

  public Boolean getEnvAll() {
    return envAll;
  }

  public Refresh getRefresh() {
    return refresh;
  }

  public List<SecretItem> getItems() {
    return items;
  }

  /** The mount path, with the default applied. */
  @JsonIgnore
  public String effectiveMountPath() {
    return mountPath == null ? MountPaths.DEFAULT : mountPath;
  }

  @JsonIgnore
  public boolean includesAll() {
    return Boolean.TRUE.equals(all);
  }

  /** Whether the files follow the store while the session runs ({@link Refresh#Live}). */
  @JsonIgnore
  public boolean live() {
    return refresh == Refresh.Live;
  }

  @JsonIgnore
  public boolean exportsAll() {
    return Boolean.TRUE.equals(envAll);
  }

  /** Whether any secret is to be exported as an environment variable. */
  @JsonIgnore
  public boolean exportsEnv() {
    return exportsAll() || itemsOrEmpty().stream().anyMatch(i -> i.getEnv() != null);
  }

  @JsonIgnore
  public List<SecretItem> itemsOrEmpty() {
    return items == null ? List.of() : items;
  }

  @Override
  List<Object> values() {
    return Arrays.asList(mountPath, all, envAll, refresh, items);
  }
}
