package io.nbsecrets.cli.user;

import java.io.Console;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nbsecrets set NAME}: stores a value, from standard input, a file, or a prompt that does
 * not echo. Never from the command line, where it would stay in the shell's history and be seen by
 * {@code ps}.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "set",
    description = {
      "Store a secret: create it, or replace its value.",
      "The value comes from standard input (one trailing newline removed), from --from-file"
          + " (exactly as it is), or, on a terminal, from a prompt that does not echo; never"
          + " from the command line."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  nbsecrets set GITHUB_TOKEN                       # prompts, without echo",
      "  printf %s \"$TOKEN\" | nbsecrets set GITHUB_TOKEN",
      "  nbsecrets set db-password.txt --from-file ./password.txt",
      "  nbsecrets set keytab --from-file ./user.keytab --base64"
    })
public final class SetCommand extends UserCommand {
  /**
   * The most this command reads: the largest limit an API may be configured with (16 MiB; its
   * default is 128 KiB). The API's own limit decides, and its 413 says what it is.
   */
  static final int MAX_READ_BYTES = 16 * 1024 * 1024;

  @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name.")
  String name;

  @Parameters(index = "1..*", hidden = true)
  List<String> extra;

  @Option(
      names = "--from-file",
      paramLabel = "FILE",
      description = "Read the value from FILE, byte for byte.")
  Path file;

  @Option(
      names = "--base64",
      description = "The value is binary (any bytes): sent base64-encoded, stored as the bytes.")
  boolean binary;

  @Override
  public Integer call() throws IOException {
    if (extra != null && !extra.isEmpty()) {
      throw new CliFailure(
          ExitCodes.USAGE,
          "a value is never taken from the command line (it would stay in your shell's history"
              + " and show in ps): pipe it in, use --from-file, or run nbsecrets set "
              + name
              + " on a terminal to be asked for it");
    }
    checkName(name);
    byte[] value = read();
    try {
      if (value.length == 0) {
        throw new CliFailure(ExitCodes.USAGE, "value must not be empty");
      }
      if (!binary && !utf8(value)) {
        throw new CliFailure(
            ExitCodes.USAGE, "the value is not UTF-8 text: add --base64 to store it as bytes");
      }
      SecretsApi.Answer answer = api().put(name, value, binary);
      out()
          .printf(
              "%s %s (version %s)%n",
              answer.status() == 201 ? "Created" : "Replaced",
              name,
              answer.body() == null ? "?" : answer.body().path("version").asText());
      return ExitCodes.OK;
    } finally {
      Arrays.fill(value, (byte) 0);
    }
  }

  private byte[] read() throws IOException {
    if (file != null) {
      try {
        long size = Files.size(file);
        if (size > MAX_READ_BYTES) {
          throw new CliFailure(
              ExitCodes.USAGE,
              file + " is " + size + " bytes; no API takes more than " + MAX_READ_BYTES + " bytes");
        }
        return Files.readAllBytes(file);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new CliFailure(ExitCodes.USAGE, "--from-file: no such file " + file);
      }
    }
    Console console = System.console();
    if (console != null) {
      char[] typed = console.readPassword("Value of %s (not shown): ", name);
      if (typed == null) {
        throw new CliFailure(ExitCodes.USAGE, "no value given");
      }
      ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(typed));
      Arrays.fill(typed, '\0');
      byte[] out = new byte[bytes.remaining()];
      bytes.get(out);
      return out;
    }
    // Standard input on a terminal without a Console (Java 17 with the output redirected):
    // asked for without echo all the same.
    var terminal = HiddenInput.terminalSettings();
    if (terminal.isPresent()) {
      byte[] typed =
          HiddenInput.readLine(
              terminal.get(),
              "Value of " + name + " (not shown): ",
              System.err,
              System.in,
              MAX_READ_BYTES);
      if (typed == null) {
        throw new CliFailure(ExitCodes.USAGE, "no value given");
      }
      return typed;
    }
    // One trailing newline more than the largest value (echo adds one).
    byte[] in = System.in.readNBytes(MAX_READ_BYTES + 3);
    if (in.length > MAX_READ_BYTES + 2) {
      throw new CliFailure(
          ExitCodes.USAGE,
          "standard input holds more than "
              + MAX_READ_BYTES
              + " bytes; no API takes more than "
              + MAX_READ_BYTES
              + " bytes");
    }
    return binary ? in : withoutTrailingNewline(in);
  }

  /** Standard input without one trailing {@code \n} or {@code \r\n} (as echo adds). */
  static byte[] withoutTrailingNewline(byte[] in) {
    int end = in.length;
    if (end > 0 && in[end - 1] == '\n') {
      end--;
      if (end > 0 && in[end - 1] == '\r') {
        end--;
      }
    }
    if (end == in.length) {
      return in;
    }
    byte[] trimmed = Arrays.copyOf(in, end);
    Arrays.fill(in, (byte) 0);
    return trimmed;
  }

  private static boolean utf8(byte[] value) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
