package io.pdaltagent.transform;

import java.util.List;

/**
 * One rule of the rules file: a name (unique, used in logs, metrics and as the suppressor of the
 * events it suppresses), a condition and the actions run, in order, when the condition holds.
 */
record Rule(String name, Condition condition, List<Action> actions) {
    Rule {
        actions = List.copyOf(actions);
    }
}
