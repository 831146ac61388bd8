export {
  CreateBulkEntitlementPage,
  CreateSimpleEntitlementPage,
  CreateTestBulkEntitlementPage,
} from "./EntitlementCreatePage";
export { EntitlementDetailPage } from "./EntitlementDetailPage";
export { EntitlementsListPage } from "./EntitlementsListPage";
export { ENTITLEMENT_ROUTES, entitlementPath } from "./model";
