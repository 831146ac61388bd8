import { useQuery } from "@tanstack/react-query";
import type { LicenseModel } from "../../../common/src/api/licenseModels";
import type { Product } from "../../../common/src/api/products";
import { keys, licenseModelsApi, productsApi } from "../api/endpoints";

/** The catalog is small: pickers load up to 200 entries and filter in the browser. */
const PICK_LIMIT = 200;

export function useLicenseModelPick() {
  const q = useQuery({
    queryKey: [...keys.licenseModels, "pick"],
    queryFn: () => licenseModelsApi.list({ limit: PICK_LIMIT }),
    staleTime: 30_000,
  });
  const items: LicenseModel[] = q.data?.items ?? [];
  return { items, byId: new Map(items.map((m) => [m.id, m])), isLoading: q.isLoading, error: q.error };
}

export function useProductPick() {
  const q = useQuery({
    queryKey: [...keys.products, "pick"],
    queryFn: () => productsApi.list({ limit: PICK_LIMIT }),
    staleTime: 30_000,
  });
  const items: Product[] = q.data?.items ?? [];
  return { items, byId: new Map(items.map((p) => [p.id, p])), isLoading: q.isLoading, error: q.error };
}

export const productLabel = (p: { name: string; version: string }) => `${p.name} ${p.version}`;
