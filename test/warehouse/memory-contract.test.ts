import { layerMemory as objectStoreMemory } from "../../layers/object-store/memory.ts"
import { layerMemory } from "../../layers/warehouse/memory.ts"
import { warehouseContract } from "./contract.ts"
import { warehouseValuesContract } from "./contract-values.ts"

const under = { warehouse: () => layerMemory, store: () => objectStoreMemory }

warehouseContract("memory", under)
warehouseValuesContract("memory", under)
