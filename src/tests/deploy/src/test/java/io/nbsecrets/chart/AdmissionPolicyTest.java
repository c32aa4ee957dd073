package io.nbsecrets.chart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.NamedRuleWithOperations;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Validation;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Variable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The ValidatingAdmissionPolicy's CEL, rendered by the chart and evaluated with a real CEL engine
 * on the requests the API server would send it.
 */
class AdmissionPolicyTest {
  private static final Cel CEL =
      CelFactory.standardCelBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("request", SimpleType.DYN)
          .addVar("object", SimpleType.DYN)
          .addVar("oldObject", SimpleType.DYN)
          .addVar("variables", SimpleType.DYN)
          .build();

  private static ValidatingAdmissionPolicy policy(String values) {
    List<HasMetadata> objects = ChartRendering.objects(values, Map.of());
    ValidatingAdmissionPolicy policy =
        ChartRendering.named(objects, ValidatingAdmissionPolicy.class, "nbsecrets-session-owner");
    ValidatingAdmissionPolicyBinding binding =
        ChartRendering.named(
            objects, ValidatingAdmissionPolicyBinding.class, "nbsecrets-session-owner");
    assertThat(binding.getSpec().getPolicyName()).isEqualTo("nbsecrets-session-owner");
    assertThat(binding.getSpec().getValidationActions()).containsExactly("Deny");
    assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
    NamedRuleWithOperations rule = policy.getSpec().getMatchConstraints().getResourceRules().get(0);
    assertThat(rule.getApiGroups()).containsExactly("nbsecrets.io");
    assertThat(rule.getResources()).containsExactly("notebooksessions");
    assertThat(rule.getOperations()).containsExactlyInAnyOrder("CREATE", "UPDATE");
    return policy;
  }

  private static Object eval(String expression, Map<String, Object> activation) throws Exception {
    var ast = CEL.compile(expression).getAst();
    return CEL.createProgram(ast).eval(activation);
  }

  /** Admits or refuses as the API server would: variables first, then every validation. */
  private static boolean admits(
      ValidatingAdmissionPolicy policy,
      String operation,
      String username,
      List<String> groups,
      String user,
      String oldUser)
      throws Exception {
    Map<String, Object> userInfo = new HashMap<>();
    userInfo.put("username", username);
    if (groups != null) {
      userInfo.put("groups", groups);
    }
    Map<String, Object> activation = new HashMap<>();
    activation.put("request", Map.of("operation", operation, "userInfo", userInfo));
    activation.put("object", session(user));
    if (oldUser != null) {
      activation.put("oldObject", session(oldUser));
    }
    Map<String, Object> variables = new LinkedHashMap<>();
    activation.put("variables", variables);
    for (Variable v : policy.getSpec().getVariables()) {
      variables.put(v.getName(), eval(v.getExpression(), activation));
    }
    for (Validation v : policy.getSpec().getValidations()) {
      if (!Boolean.TRUE.equals(eval(v.getExpression(), activation))) {
        if (v.getMessageExpression() != null) {
          assertThat(eval(v.getMessageExpression(), activation).toString()).contains(username);
        }
        return false;
      }
    }
    return true;
  }

  private static Map<String, Object> session(String user) {
    Map<String, Object> spec = new HashMap<>();
    if (user != null) {
      spec.put("user", user);
    }
    spec.put("image", "quay.io/jupyter/minimal-notebook:2024-12-02");
    return Map.of(
        "apiVersion",
        "nbsecrets.io/v1alpha1",
        "kind",
        "NotebookSession",
        "metadata",
        Map.of("name", "notebook", "namespace", "alice"),
        "spec",
        spec);
  }

  record Case(
      String why,
      String operation,
      String username,
      List<String> groups,
      String user,
      String oldUser,
      boolean allowed) {}

  private static final List<String> LAUNCHER =
      List.of(
          "system:serviceaccounts", "system:serviceaccounts:jupyterhub", "system:authenticated");
  private static final List<String> PLAIN_USER = List.of("data-science", "system:authenticated");

  @Test
  void aRequesterMayActOnlyForItselfUnlessItIsALauncher() throws Exception {
    ValidatingAdmissionPolicy policy =
        policy(
            "admissionPolicy: {enabled: true, launcherGroups:"
                + " [system:serviceaccounts:jupyterhub, platform-admins]}\n");
    List<Case> cases =
        List.of(
            new Case("self creates own", "CREATE", "alice", PLAIN_USER, "alice", null, true),
            new Case("self, no groups at all", "CREATE", "alice", null, "alice", null, true),
            new Case("other user", "CREATE", "alice", PLAIN_USER, "bob", null, false),
            new Case("other user, no groups", "CREATE", "alice", null, "bob", null, false),
            new Case(
                "launcher group",
                "CREATE",
                "system:serviceaccount:jupyterhub:hub",
                LAUNCHER,
                "bob",
                null,
                true),
            new Case(
                "second launcher group",
                "CREATE",
                "carol",
                List.of("platform-admins"),
                "bob",
                null,
                true),
            new Case(
                "group name only similar",
                "CREATE",
                "mallory",
                List.of("platform-admins-x", "system:serviceaccounts:jupyterhub2"),
                "bob",
                null,
                false),
            new Case("self, missing spec.user", "CREATE", "alice", PLAIN_USER, null, null, false),
            new Case(
                "update, user unchanged", "UPDATE", "alice", PLAIN_USER, "alice", "alice", true),
            new Case("update changing user", "UPDATE", "alice", PLAIN_USER, "bob", "alice", false),
            new Case(
                "update changing user to self",
                "UPDATE",
                "alice",
                PLAIN_USER,
                "alice",
                "bob",
                false),
            new Case(
                "launcher updates, user unchanged",
                "UPDATE",
                "system:serviceaccount:jupyterhub:hub",
                LAUNCHER,
                "bob",
                "bob",
                true),
            new Case(
                "launcher changing user",
                "UPDATE",
                "system:serviceaccount:jupyterhub:hub",
                LAUNCHER,
                "alice",
                "bob",
                false));
    List<String> wrong = new ArrayList<>();
    AtomicInteger allowed = new AtomicInteger();
    for (Case c : cases) {
      boolean result =
          admits(policy, c.operation(), c.username(), c.groups(), c.user(), c.oldUser());
      if (result != c.allowed()) {
        wrong.add(c.why() + ": expected " + (c.allowed() ? "allowed" : "refused"));
      }
      if (result) {
        allowed.incrementAndGet();
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(cases).hasSize(13);
    assertThat(allowed.get()).isEqualTo(6);
  }

  @Test
  void withoutLauncherGroupsNobodyActsForAnotherUser() throws Exception {
    ValidatingAdmissionPolicy policy = policy("admissionPolicy: {enabled: true}\n");
    assertThat(admits(policy, "CREATE", "alice", PLAIN_USER, "alice", null)).isTrue();
    assertThat(
            admits(policy, "CREATE", "system:serviceaccount:jupyterhub:hub", LAUNCHER, "bob", null))
        .isFalse();
  }

  @Test
  void theUsernamePrefixIsStrippedBeforeComparing() throws Exception {
    ValidatingAdmissionPolicy policy =
        policy("admissionPolicy: {enabled: true, usernamePrefix: 'oidc:'}\n");
    assertThat(admits(policy, "CREATE", "oidc:alice", PLAIN_USER, "alice", null)).isTrue();
    assertThat(admits(policy, "CREATE", "oidc:alice", PLAIN_USER, "oidc:alice", null)).isFalse();
    assertThat(admits(policy, "CREATE", "alice", PLAIN_USER, "alice", null)).isFalse();
    assertThat(admits(policy, "CREATE", "oidc:alice", PLAIN_USER, "bob", null)).isFalse();
  }

  @Test
  void thePolicyIsOffByDefault() {
    // The session-owner policy; the operator-scope policy is on by default (split mode).
    assertThat(ChartRendering.objects("", Map.of()))
        .filteredOn(o -> o.getKind().startsWith("ValidatingAdmissionPolicy"))
        .noneMatch(o -> o.getMetadata().getName().endsWith("-session-owner"))
        .allMatch(o -> o.getMetadata().getName().endsWith("-operator-scope"));
    assertThat(ChartRendering.objects("", Map.of("mode", "combined")))
        .noneMatch(o -> o.getKind().startsWith("ValidatingAdmissionPolicy"));
  }
}
