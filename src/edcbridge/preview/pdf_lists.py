"""List items as PDF/UA-1 asks of them (ISO 14289-1 7.6, ISO 32000-1 14.8.4.3.3): an ``LI``
holds a label (``Lbl``) and a list body (``LBody``), nothing else.

Chromium puts what a list item shows (``NonStruct``, ``Link``) in the ``LI`` itself, beside its
label. Each such item gets a new ``LBody`` element holding that content, in its place: the
content's elements name the ``LBody`` as their parent (``/P``), and marked content or an
annotation the ``LI`` owned itself is given to the ``LBody`` in the parent tree too (ISO
32000-1 14.7.4.4). An item whose owned content the parent tree does not say where to find is
left as it is rather than made inconsistent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from edcbridge.preview.pdf_values import entry, items, name, reference, with_entry_value

Objects = Mapping[int, tuple[int, bytes]]
"""Objects by number: (generation, value as written: a dictionary or an array)."""


def with_list_bodies(objects: Objects, first_free: int) -> dict[int, tuple[int, bytes]]:
    """The objects to write so that every ``LI`` holds its content in an ``LBody``: new ``LBody``
    elements numbered from ``first_free``, and the changed items, elements and parent tree."""
    try:
        return _with_list_bodies(objects, first_free)
    except (ValueError, IndexError):  # a structure written otherwise than read here: left as printed
        return {}


def _with_list_bodies(objects: Objects, first_free: int) -> dict[int, tuple[int, bytes]]:
    changed: dict[int, tuple[int, bytes]] = {}
    tree = _ParentTree.find(objects)
    body = first_free
    for number, (_, value) in sorted(objects.items()):
        if _structure_type(value) == b"LI" and _give_a_body(number, objects, changed, tree, body):
            body += 1
    return changed


def _give_a_body(item: int, objects: Objects, changed: dict[int, tuple[int, bytes]],
                 tree: _ParentTree | None, body: int) -> bool:
    """Move the content of the ``LI`` ``item`` into a new ``LBody`` numbered ``body``; False
    when the item needs none (or cannot be given one)."""
    generation, value = objects[item]
    kids = _kids(value)
    content = [kid for kid in kids if _kid_type(kid, objects) != b"Lbl"]
    if not content or any(_kid_type(kid, objects) == b"LBody" for kid in content):
        return False
    owned = [kid for kid in content if _kid_type(kid, objects) is None]
    if owned and (tree is None or not all(tree.can_give(kid, value, objects) for kid in owned)):
        return False
    body_ref = b"%d 0 R" % body
    page = entry(value, b"Pg")
    changed[body] = (0, b"<</Type /StructElem\n/S /LBody\n/P %d %d R\n%s/K [%s]>>" % (
        item, generation, b"/Pg " + page + b"\n" if page else b"", b" ".join(content)))
    changed[item] = (generation, with_entry_value(value, b"K", b"[%s]" % b" ".join(
        _with_body(kids, content, body_ref))))
    for kid in content:
        element = reference(kid)
        if _kid_type(kid, objects) is None:
            assert tree is not None
            tree.give(kid, value, objects, changed, body_ref)
        elif element is not None:
            kid_generation, kid_value = objects[element]
            changed[element] = (kid_generation, with_entry_value(kid_value, b"P", body_ref))
    return True


def _with_body(kids: list[bytes], content: list[bytes], body_ref: bytes) -> list[bytes]:
    """``kids`` with ``content`` replaced by ``body_ref``, in the place of the first of it."""
    placed, out = False, []
    for kid in kids:
        if kid not in content:
            out.append(kid)
        elif not placed:
            out.append(body_ref)
            placed = True
    return out


def _kids(element: bytes) -> list[bytes]:
    kids = entry(element, b"K")
    if kids is None:
        return []
    return items(kids) if kids.startswith(b"[") else [kids]


def _structure_type(value: bytes) -> bytes | None:
    return name(entry(value, b"S")) if value.startswith(b"<<") else None


def _kid_type(kid: bytes, objects: Objects) -> bytes | None:
    """The structure type of an element among an element's kids; None for marked content (an
    MCID, a marked-content reference) or an annotation (object reference)."""
    number = reference(kid)
    if number is None or number not in objects:
        return None
    return _structure_type(objects[number][1])


@dataclass
class _ParentTree:
    """The parent tree as a flat number tree (``/Nums``, as Chromium writes it) in an object of
    its own: what owns each page's marked content and each annotation."""

    number: int

    @classmethod
    def find(cls, objects: Objects) -> _ParentTree | None:
        for _, value in objects.values():
            if value.startswith(b"<<") and name(entry(value, b"Type")) == b"StructTreeRoot":
                number = reference(entry(value, b"ParentTree"))
                if number is not None and number in objects and entry(objects[number][1], b"Nums"):
                    return cls(number)
        return None

    def can_give(self, kid: bytes, element: bytes, objects: Objects) -> bool:
        return self._slot(kid, element, objects, {}) is not None

    def give(self, kid: bytes, element: bytes, objects: Objects, changed: dict[int, tuple[int, bytes]],
             owner: bytes) -> None:
        """Make ``owner`` the parent of the marked content or annotation ``kid`` of ``element``."""
        slot = self._slot(kid, element, objects, changed)
        assert slot is not None
        number, index = slot
        generation, value = changed.get(number, objects[number])
        if value.startswith(b"["):
            values = items(value)
            values[index] = owner
            changed[number] = (generation, b"[%s]" % b" ".join(values))
            return
        nums = items(entry(value, b"Nums") or b"[]")
        nums[index] = owner
        changed[number] = (generation, with_entry_value(value, b"Nums", b"[%s]" % b" ".join(nums)))

    def _slot(self, kid: bytes, element: bytes, objects: Objects,
              changed: Mapping[int, tuple[int, bytes]]) -> tuple[int, int] | None:
        """(object, index) of the parent tree entry that names the owner of ``kid``."""
        content = _content_of(kid, element, objects)
        if content is None:
            return None
        holder, mcid = content
        nums = items(entry(changed.get(self.number, objects[self.number])[1], b"Nums") or b"[]")
        key = entry(holder, b"StructParent" if mcid is None else b"StructParents")
        if key is None or key.strip() not in nums[0::2]:
            return None
        index = nums[0::2].index(key.strip()) * 2 + 1
        if index >= len(nums):
            return None
        if mcid is None:
            return self.number, index
        array = reference(nums[index])
        if array is None or array not in objects:
            return None
        values = changed.get(array, objects[array])[1]
        return (array, mcid) if values.startswith(b"[") and mcid < len(items(values)) else None


def _content_of(kid: bytes, element: bytes, objects: Objects) -> tuple[bytes, int | None] | None:
    """The page holding marked content ``kid`` with its MCID, or the annotation ``kid`` refers
    to (with None), as the dictionary of each."""
    if kid.isdigit():
        return _with_mcid(entry(element, b"Pg"), int(kid), objects)
    number = reference(kid)
    value = objects[number][1] if number is not None and number in objects else kid
    if not value.startswith(b"<<"):
        return None
    kind = name(entry(value, b"Type"))
    if kind == b"MCR":
        mcid = entry(value, b"MCID")
        return _with_mcid(entry(value, b"Pg") or entry(element, b"Pg"), int(mcid), objects) \
            if mcid is not None and mcid.isdigit() else None
    annotation = reference(entry(value, b"Obj")) if kind == b"OBJR" else None
    if annotation is None or annotation not in objects:
        return None
    return objects[annotation][1], None


def _with_mcid(page: bytes | None, mcid: int, objects: Objects) -> tuple[bytes, int] | None:
    number = reference(page)
    return (objects[number][1], mcid) if number is not None and number in objects else None

