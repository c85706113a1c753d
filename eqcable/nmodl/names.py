"""The names an imported mechanism's class gives NMODL's variables."""

import dataclasses

from .description import ModFile, name_of
from .emit import python_name

# Attributes of eqcable's mechanism classes a parameter field must not hide.
_CLASS_ATTRIBUTES = {
    "name", "state_names", "state_units", "ion_reads", "ion_writes", "ion_species", "step",
    "current", "steady_state", "ion_currents", "linearise", "param_names", "param_info",
    "check_param", "init_states", "advance", "event_driven", "nondifferentiable_params",
    "reads_celsius", "nmodl_source", "python_source", "linearisation", "tree_flatten",
}  # fmt: skip


@dataclasses.dataclass
class Names:
    """`fields`: NMODL parameter → class field; `weight`: the NET_RECEIVE argument (a
    parameter of a synapse); `threshold`: the NetCon threshold field (synapses)."""

    fields: dict
    weight: str | None
    threshold: str | None

    @staticmethod
    def of(mod: ModFile) -> "Names":
        params = list(mod.parameters)
        weight = threshold = None
        if mod.net_receive is not None:
            weight = name_of(mod.net_receive.parameters[0])
            if weight in mod.parameters or weight in mod.assigned or weight in mod.states:
                raise mod.error(
                    f"the NET_RECEIVE argument {weight} is also a declared variable.",
                    needle="NET_RECEIVE",
                )
            params.append(weight)
            threshold = "threshold"
            if threshold in mod.parameters:
                raise mod.error(
                    "a PARAMETER named threshold: eqcable's synapses use that name for the "
                    "NetCon threshold.",
                    needle="threshold",
                )
        fields = {}
        for p in params:
            field = python_name(p)
            fields[p] = field + "_" if field in _CLASS_ATTRIBUTES else field
        return Names(fields, weight, threshold)

    def carried_state(self, name: str, mod: ModFile) -> str:
        """The state that carries variable `name` between blocks: its own name, or
        ``<name>_init`` for a parameter that INITIAL changes (``tau1`` of Exp2Syn)."""
        return f"{name}_init" if name in mod.parameters else name
