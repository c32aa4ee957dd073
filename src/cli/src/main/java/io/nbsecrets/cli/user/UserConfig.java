package io.nbsecrets.cli.user;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code nbsecrets login} saves: the API's URL, where the token comes from (the token itself,
 * a file read on each call, or a command run on each call, as kubectl's exec plugins), and the CA
 * bundle of the API's TLS. One JSON file, mode 0600, in a folder of mode 0700: {@code
 * $NBSECRETS_CONFIG}, else {@code $XDG_CONFIG_HOME/nbsecrets/config.json}, else {@code
 * ~/.config/nbsecrets/config.json}.
 *
 * @param api the API's base URL
 * @param token the token, when given once ({@code --token-stdin})
 * @param tokenFile a file holding the token, read on each call ({@code --token-file})
 * @param tokenExec a command that prints the token or a kubectl {@code ExecCredential}
 * @param caBundle PEM certificates the API's TLS certificate must chain to; null: the JDK's CAs
 * @param tlsServerName the name the API's certificate must carry when the URL's host is another
 *     ({@code kubectl port-forward}: the certificate names the Service); null: the URL's host
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UserConfig(
    String api,
    String token,
    String tokenFile,
    List<String> tokenExec,
    String caBundle,
    String tlsServerName) {

  /** The environment variable that names the config file. */
  public static final String CONFIG_VARIABLE = "NBSECRETS_CONFIG";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** Where the config file is, from the environment. */
  public static Path location(Map<String, String> env) {
    String explicit = env.get(CONFIG_VARIABLE);
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String xdg = env.get("XDG_CONFIG_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("nbsecrets").resolve("config.json");
  }

  /** The saved config, or empty when there is none. */
  public static Optional<UserConfig> load(Path file) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), UserConfig.class));
    } catch (IOException e) {
      throw new CliFailure(
          ExitCodes.NOT_AUTHENTICATED,
          "cannot read "
              + file
              + " ("
              + e.getClass().getSimpleName()
              + "): log in again (nbsecrets login)");
    }
  }

  /** The saved config, or a failure that says how to log in. */
  public static UserConfig require(Path file) {
    return load(file)
        .orElseThrow(
            () ->
                new CliFailure(
                    ExitCodes.NOT_AUTHENTICATED,
                    "not logged in: run nbsecrets login --api URL --token-stdin"));
  }

  /**
   * Writes the config: a new file of mode 0600 renamed over the old one, so that it is never
   * readable by others, not even for a moment, and never half-written.
   */
  public void save(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path next = dir.resolve("." + file.getFileName() + ".next");
    Files.deleteIfExists(next);
    Files.createFile(
        next, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(next, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The token for this call: the saved one, the file's content, or the command's output. */
  public String currentToken() {
    if (token != null) {
      return token;
    }
    if (tokenFile != null) {
      try {
        return nonEmpty(
            Files.readString(Path.of(tokenFile), StandardCharsets.UTF_8).trim(), tokenFile);
      } catch (IOException e) {
        throw new CliFailure(
            ExitCodes.NOT_AUTHENTICATED,
            "cannot read the token file " + tokenFile + " (" + e.getClass().getSimpleName() + ")");
      }
    }
    if (tokenExec != null && !tokenExec.isEmpty()) {
      return TokenExec.run(tokenExec);
    }
    throw new CliFailure(
        ExitCodes.NOT_AUTHENTICATED,
        "the saved login has no token: log in again (nbsecrets login)");
  }

  private static String nonEmpty(String token, String source) {
    if (token.isEmpty()) {
      throw new CliFailure(ExitCodes.NOT_AUTHENTICATED, "the token file " + source + " is empty");
    }
    return token;
  }
}
