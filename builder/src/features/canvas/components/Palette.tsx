import { useMemo, useState, type DragEvent } from "react";

import { iconFor, useCatalog, type NodeType } from "../../../lib/catalog";

export const DRAG_TYPE = "application/x-flowhold-node-type";

/** Every node type from the catalog, grouped by category: drag one onto the canvas, or press
 * it to add it in the middle of the view. */
export function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const catalog = useCatalog();
  const [filter, setFilter] = useState("");
  const groups = useMemo(() => {
    const wanted = filter.trim().toLowerCase();
    const byCategory = new Map<string, NodeType[]>();
    for (const type of catalog.types) {
      const text = `${type.title} ${type.type} ${type.description}`.toLowerCase();
      if (wanted && !text.includes(wanted)) continue;
      byCategory.set(type.category, [...(byCategory.get(type.category) ?? []), type]);
    }
    // The catalog lists every category its types use, in palette order.
    return catalog.categories
      .filter((category) => byCategory.has(category.id))
      .map((category) => [category, byCategory.get(category.id)!] as const);
  }, [catalog, filter]);

  const start = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(DRAG_TYPE, type);
    event.dataTransfer.effectAllowed = "move";
  };

  return (
    <nav className="panel palette" aria-label="Node palette">
      <label className="field">
        <span className="visually-hidden">Filter node types</span>
        <input
          className="input"
          type="search"
          placeholder="Filter nodes…"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      </label>
      {groups.map(([category, types]) => (
        <section key={category.id} aria-labelledby={`palette-${category.id}`}>
          <h3 id={`palette-${category.id}`} className="palette__category">
            {category.title}
          </h3>
          <ul className="palette__list">
            {types.map((type) => (
              <li key={type.type} className={`palette__item palette__item--${type.category}`}>
                <button
                  type="button"
                  className="palette__button"
                  draggable
                  onDragStart={(event) => start(event, type.type)}
                  onClick={() => onAdd(type.type)}
                  aria-describedby={`palette-${type.type}-description`}
                  data-node-type={type.type}
                >
                  <span className="palette__icon" aria-hidden="true">
                    {iconFor(type)}
                  </span>
                  <span className="palette__title">{type.title}</span>
                </button>
                <span id={`palette-${type.type}-description`} className="palette__description">
                  {type.description}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
