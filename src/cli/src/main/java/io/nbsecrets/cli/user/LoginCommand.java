package io.nbsecrets.cli.user;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code nbsecrets login}: checks a token against the API, then saves the login (mode 0600). */
@Command(
    mixinStandardHelpOptions = true,
    name = "login",
    description = {
      "Log in: check a token against the API, then save it.",
      "Saves the API's address and how to get your token; the token is never taken from"
          + " the command line."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  kubectl create token my-user --audience nbsecrets | \\",
      "    nbsecrets login --api https://secrets.example.org --token-stdin",
      "  nbsecrets login --api https://secrets.example.org --token-file ~/.token --ca-file ca.pem",
      "  nbsecrets login --api https://127.0.0.1:8443 --token-stdin --ca-file ca.crt \\",
      "    --tls-server-name nbsecrets-api.nbsecrets.svc      # through kubectl port-forward",
      "  nbsecrets login --api https://secrets.example.org --token-exec kubectl \\",
      "    --token-exec-arg create --token-exec-arg token --token-exec-arg my-user",
      "",
      "The login is saved in $NBSECRETS_CONFIG, else $XDG_CONFIG_HOME/nbsecrets/config.json,",
      "else ~/.config/nbsecrets/config.json (mode 0600)."
    })
public final class LoginCommand extends UserCommand {
  @Option(
      names = "--api",
      required = true,
      paramLabel = "URL",
      description = "The secrets API, https:// (http:// only to this machine, as in dev mode).")
  String api;

  @ArgGroup(exclusive = true, multiplicity = "1")
  TokenSource source;

  static final class TokenSource {
    @Option(names = "--token-stdin", description = "Read the token from standard input.")
    boolean stdin;

    @Option(
        names = "--token-file",
        paramLabel = "FILE",
        description = "Read the token from FILE on each call (a projected token that rotates).")
    Path file;

    @Option(
        names = "--token-exec",
        paramLabel = "COMMAND",
        description = "Run COMMAND on each call; it prints the token, or a kubectl ExecCredential.")
    String exec;
  }

  @Option(
      names = "--token-exec-arg",
      paramLabel = "ARG",
      description = "An argument of --token-exec (repeat it for each).")
  List<String> execArgs = new ArrayList<>();

  @Option(
      names = "--ca-file",
      paramLabel = "FILE",
      description = "PEM certificates of the CA of the API's TLS (default: the JDK's CAs).")
  Path caFile;

  @Option(
      names = "--tls-server-name",
      paramLabel = "NAME",
      description =
          "The name the API's certificate must carry, when the URL's host is another (a"
              + " port-forward: nbsecrets-api.<namespace>.svc). Needs --ca-file.")
  String tlsServerName;

  @Override
  public Integer call() throws IOException {
    SecretsApi.baseUri(api, true);
    String token = null;
    // Usage first, before standard input is read.
    if (!execArgs.isEmpty() && source.exec == null) {
      throw new CliFailure(ExitCodes.USAGE, "--token-exec-arg needs --token-exec");
    }
    if (tlsServerName != null && caFile == null) {
      throw new CliFailure(ExitCodes.USAGE, "--tls-server-name needs --ca-file");
    }
    String tokenFile = null;
    List<String> exec = null;
    if (source.stdin) {
      token = readToken(System.in);
    } else if (source.file != null) {
      tokenFile = source.file.toAbsolutePath().toString();
    } else {
      exec = new ArrayList<>();
      exec.add(source.exec);
      exec.addAll(execArgs);
    }
    String ca = null;
    if (caFile != null) {
      try {
        ca = Files.readString(caFile, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new CliFailure(ExitCodes.USAGE, "cannot read --ca-file " + caFile);
      }
    }
    UserConfig config = new UserConfig(api, token, tokenFile, exec, ca, tlsServerName);
    int count = new SecretsApi(config).list().path("items").size();
    Path file = configFile();
    config.save(file);
    out()
        .printf(
            "Logged in to %s (%d secret%s stored). Saved to %s%n",
            api, count, count == 1 ? "" : "s", file);
    return ExitCodes.OK;
  }

  private static String readToken(InputStream in) throws IOException {
    byte[] bytes = in.readNBytes(64 * 1024);
    String token = new String(bytes, StandardCharsets.UTF_8).trim();
    if (token.isEmpty()) {
      throw new CliFailure(ExitCodes.USAGE, "--token-stdin: standard input held no token");
    }
    if (token.contains("\n") || token.contains(" ")) {
      throw new CliFailure(
          ExitCodes.USAGE, "--token-stdin: standard input must hold one token on one line");
    }
    return token;
  }
}
