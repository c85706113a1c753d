"""Unbranched sections of an SWC sample tree, split as NEURON's Import3d does."""

from typing import NamedTuple

import numpy as np
from jaxtyping import Int

from .swc import SOMA, ParentAfterChildError, SwcSamples


class UnbranchedSection(NamedTuple):
    """An unbranched stretch of samples, as NEURON's Import3d makes a section of it.

    - `indices`: rows of its samples in order from proximal to distal; for a section with
      a parent, the first is the parent sample it grows from.
    - `parent`: index of the parent section, ``-1`` for a root section.
    - `type`: the SWC type of its own samples.
    """

    indices: Int[np.ndarray, " npoint"]
    parent: int
    type: int


def unbranched_sections(samples: SwcSamples) -> list[UnbranchedSection]:
    """Split the samples into unbranched sections the way NEURON's `Import3d_SWC_read` does.

    Sections are runs of consecutive rows. Following Import3d (NEURON 9, ``read_swc.hoc``:
    `mark_branch`, `sectionify`, `mksection`), a sample ends its section unless it has
    exactly one child, on the next row, of the same type. Import3d's exceptions are kept,
    so that the sections are NEURON's:

    - soma: a soma sample whose next row is its soma child continues its section even if
      other children hang from it, unless it is not the first row and has several soma
      children. Dendrites can thus grow from an interior soma sample;
    - a non-soma sample that is the first row, or whose parent is a soma sample (and that
      is not the second row), does not end its section because of a child on a
      non-adjacent row: that child grows from the section's proximal end instead (a change
      of type still ends the section);
    - NeuroMorpho's 3-point soma (the first three rows are the only soma samples, rows 1
      and 2 are childless children of row 0 with its radius, and together they span one
      diameter) becomes a root section of row 0 alone, as a single-point soma does; rows
      1 and 2 are then in no section.

    Besides, a root always starts a section, and so do a change of type and a sample whose
    parent is not the row before it (Import3d would make mixed sections there).

    Every section with a parent starts with the parent sample it grows from: usually the
    last sample of the parent section, but the first (or an interior soma sample) in the
    exceptions above. Import3d's geometric adjustments are left to the caller: the first
    point of a dendrite on the soma gets the dendrite's own radius there, or is dropped so
    that the dendrite connects by a wire; a single-point soma is a cylinder of length and
    diameter twice its radius.

    **Arguments:**

    - `samples`: validated samples, from [`eqcable.morphology.swc.read_swc_samples`][].

    **Returns:** a list of [`eqcable.morphology.sections.UnbranchedSection`][] `(indices, parent,
    type)`, in the order of their first own sample, so every parent precedes its children.

    **Raises:** [`eqcable.morphology.swc.ParentAfterChildError`][] (a `ValueError`) naming
    the first sample whose parent row is not before its own.
    """
    parent = samples.parent_index.tolist()
    types = samples.types.tolist()
    n = len(parent)
    late = [i for i, p in enumerate(parent) if p >= i or p < -1]
    if late:
        i = late[0]
        line = int(samples.line_numbers[i])
        raise ParentAfterChildError(
            "every sample's parent must be listed before it; read the samples with "
            "read_swc_samples.",
            path=samples.source_name,
            sample_id=int(samples.ids[i]),
            **(dict(line=line) if line >= 0 else dict(row=i)),
        )
    # Import3d's `nchild`: a sample ends its section unless its count is exactly 1.
    nchild = [0.0] * n
    soma_children = [0] * n
    for i, p in enumerate(parent):
        if p < 0:
            continue
        nchild[p] += 1
        if p != i - 1:
            nchild[p] += 0.01
            if types[p] != SOMA and (
                p == 0 or (p > 1 and parent[p] >= 0 and types[parent[p]] == SOMA)
            ):
                nchild[p] = 1.0  # i grows from the proximal end of p's section
        if types[p] != types[i]:
            nchild[p] += 0.01
        if types[i] == SOMA and types[p] == SOMA:
            soma_children[p] += 1
    three_point_soma = is_neuromorpho_soma(samples, nchild)
    split_parent = list(parent)
    if three_point_soma:
        split_parent[2] = 1
    for i in range(n - 1):
        if types[i] == SOMA and types[i + 1] == SOMA and split_parent[i + 1] == i:
            if i == 0 or soma_children[i] <= 1:
                nchild[i] = 1.0

    starts = [
        i
        for i in range(n)
        if i == 0 or nchild[i - 1] != 1 or split_parent[i] != i - 1 or types[i] != types[i - 1]
    ]
    bounds = list(zip(starts, starts[1:] + [n], strict=True))
    section_of = np.empty(n, dtype=np.int64)
    for s, (first, end) in enumerate(bounds):
        section_of[first:end] = s
    sections = []
    for s, (first, end) in enumerate(bounds):
        p = parent[first]
        if s == 0 and three_point_soma:
            end = 1
        own = np.arange(first, end, dtype=np.int64)
        if p < 0:
            sections.append(UnbranchedSection(own, -1, types[first]))
        else:
            indices = np.concatenate([np.array([p], dtype=np.int64), own])
            sections.append(UnbranchedSection(indices, int(section_of[p]), types[first]))
    return sections


def is_neuromorpho_soma(samples: SwcSamples, nchild: list[float]) -> bool:
    """NeuroMorpho's 3-point soma: a cylinder along one diameter, centred on row 0."""
    types, parent, radius = samples.types, samples.parent_index, samples.radius
    if len(types) < 3 or np.count_nonzero(types == SOMA) != 3 or np.any(types[:3] != SOMA):
        return False
    if parent[1] != 0 or parent[2] != 0 or nchild[1] != 0 or nchild[2] != 0:
        return False
    if radius[1] != radius[0] or radius[2] != radius[0]:
        return False
    length = np.linalg.norm(samples.xyz[1:3] - samples.xyz[0], axis=1).sum()
    return bool(abs(length / (2 * radius[0]) - 1) < 0.01)
