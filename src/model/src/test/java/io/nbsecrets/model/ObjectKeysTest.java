package io.nbsecrets.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {
  private static final Pattern LITERAL_KEY = Pattern.compile("\"nbsecrets\\.io/");

  @Test
  void everyNbsecretsKeyIsSpelledOutInObjectKeysOnly() throws IOException {
    Path own = Path.of("src/model/src/main/java/io/nbsecrets/model/ObjectKeys.java");
    List<Path> spellingItOut;
    try (Stream<Path> files = Files.walk(Path.of("src"))) {
      spellingItOut =
          files
              .filter(p -> p.toString().endsWith(".java") && !p.equals(own))
              .filter(p -> p.toString().contains("/src/main/java/"))
              .filter(p -> !p.startsWith("src/tests") && !p.startsWith("src/benchmarks"))
              .filter(ObjectKeysTest::spellsOutAKey)
              .toList();
    }
    assertThat(spellingItOut).isEmpty();
  }

  @Test
  void keysKeepTheirSpelling() {
    assertThat(ObjectKeys.NAMESPACE_USER).isEqualTo("nbsecrets.io/user");
    assertThat(ObjectKeys.SESSION_USER).isEqualTo("nbsecrets.io/user");
    assertThat(ObjectKeys.STORE_USER).isEqualTo("nbsecrets.io/user");
    assertThat(ObjectKeys.TYPE_SESSION_SECRETS).isEqualTo("nbsecrets.io/session-secrets");
    assertThat(ObjectKeys.LAST_ROTATION_RUN).isEqualTo("nbsecrets.io/last-rotation-run");
    assertThat(ObjectKeys.STORE_COMPONENT).isEqualTo("nbsecrets.io/component");
  }

  private static boolean spellsOutAKey(Path file) {
    try {
      return LITERAL_KEY.matcher(Files.readString(file)).find();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
