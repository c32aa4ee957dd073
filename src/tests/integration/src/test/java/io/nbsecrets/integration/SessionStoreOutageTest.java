package io.nbsecrets.integration;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.operator.Conditions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A store outage is reported on the session, which recovers by itself. */
class SessionStoreOutageTest extends SessionLifecycle {
  @Override
  List<String> users() {
    return List.of("heidi");
  }

  @Test
  void aStoreOutageIsReportedAndTheSessionRecoversByItself() throws Exception {
    String value = plaintext("heidi");
    putSecret("heidi", "A", value);
    STORES.forEach(st -> st.setAvailable(false));
    try {
      create(newSession("heidi", "nb", "heidi", new SecretItem("A", null)));
      NotebookSession s =
          awaitCondition("heidi", "nb", Conditions.SECRETS_READY, "False", "StoreUnavailable");
      assertThat(condition(s, Conditions.READY).get().getMessage()).contains("unavailable");
      assertThat(putSecret("heidi", "B", "x")).isEqualTo(503);
    } finally {
      STORES.forEach(st -> st.setAvailable(true));
    }
    awaitReady("heidi", "nb");
    assertThat(files("heidi", "nb")).containsOnly(Map.entry("A", value));
  }
}
