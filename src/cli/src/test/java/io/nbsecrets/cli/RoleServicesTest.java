package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoleServicesTest {

  @Test
  void whatTheRoleStartedClosesBeforeTheStoreAndTheClient() {
    AutoCloseable role = () -> {};
    AutoCloseable management = () -> {};
    List<AutoCloseable> order =
        new RoleServices(null, null, null, null).closeOrder(role, management);
    assertThat(order).hasSize(4);
    assertThat(order.subList(0, 2)).containsExactly(role, management);
  }

  @Test
  void closeAllClosesInOrderAndStopsAtAFailure() {
    List<String> closed = new ArrayList<>();
    RoleServices.closeAll(List.of(() -> closed.add("role"), () -> closed.add("store")));
    assertThat(closed).containsExactly("role", "store");
    assertThatThrownBy(
            () ->
                RoleServices.closeAll(
                    List.of(
                        () -> {
                          throw new IOException("gone");
                        },
                        () -> closed.add("never"))))
        .isInstanceOf(IllegalStateException.class)
        .hasCauseInstanceOf(IOException.class);
    assertThat(closed).doesNotContain("never");
  }
}
