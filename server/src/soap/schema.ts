/**
 * The one description of EntitlementOrderService's wire types. The WSDL (wsdl.ts) and the reading
 * and writing of every request and response (codec.ts) are generated from it, so a field is
 * described once: its element name, its type, its place in the sequence and its cardinality.
 *
 * A type is written as a line of fields in sequence order, `name:type` with a cardinality suffix:
 * none = exactly one, `?` = optional, `*` = any number, `+` = at least one. Types are XSD built-ins
 * (string, boolean, integer, date, dateTime), an enumeration of ENUMS or a complex type of TYPES.
 * Element names, namespaces and shapes follow FNO's published interface (docs/FNO-COMPATIBILITY.md);
 * the description itself is Licensor's.
 */

import {
  ENTITLEMENTS_DEFS,
  ENTITLEMENTS_ENUMS,
  ENTITLEMENTS_OPERATION_TYPES,
  ENTITLEMENTS_VERSION_OVERRIDES,
} from "./types/entitlements.js";
import { LIFECYCLE_DEFS, LIFECYCLE_ENUMS, LIFECYCLE_OPERATION_TYPES, LIFECYCLE_VERSION_OVERRIDES } from "./types/lifecycle.js";

export const BUILTINS = new Set(["string", "boolean", "integer", "date", "dateTime"]);

export const ENUMS: Record<string, readonly string[]> = {
  StatusType: ["SUCCESS", "FAILURE", "PARTIAL_FAILURE"],
  StateType: ["DRAFT", "ACTIVE", "INACTIVE", "DEPLOYED", "OBSOLETE", "TEST", "ON_HOLD"],
  DurationUnit: ["DAYS", "WEEKS", "MONTHS", "YEARS"],
  StartDateOptionType: [
    "DEFINE_NOW",
    "DEFINE_AT_FIRST_ACTIVATION",
    "DEFINE_AT_EACH_ACTIVATION",
    "DEFINE_ACTDATE_AT_FIRST_ACTIVATION",
    "DEFINE_ACTDATE_AT_EACH_ACTIVATION",
  ],
  VersionDateOptionType: [
    "DEFINE_NOW",
    "USE_START_DATE",
    "USE_ACTIVATION_DATE",
    "DEFINE_VERSION_STARTDATE_LATER",
    "DEFINE_VERSION_DATE_LATER",
  ],
  BulkEntitlementType: ["UPGRADE", "UPSELL", "RENEWAL"],
  CollectionOperationType: ["REPLACE", "ADD", "DELETE"],
  simpleSearchType: ["STARTS_WITH", "CONTAINS", "ENDS_WITH", "EQUALS"],
  datedSearchType: ["BEFORE", "AFTER", "ON"],
  numberSearchType: ["GREATER_THAN", "GREATER_THAN_EQUALS", "LESS_THAN", "LESS_THAN_EQUALS", "EQUALS", "NOT_EQUALS"],
  ProductType: ["LICENSED_PRODUCT", "SUITE", "MAINTENENACE"],
};
// Groups' enumerations; a name already here must list the same values, checked at load.
for (const [name, values] of [...Object.entries(ENTITLEMENTS_ENUMS), ...Object.entries(LIFECYCLE_ENUMS)]) {
  const known = ENUMS[name];
  if (known && known.join(" ") !== values.join(" "))
    throw new Error(`soap schema: enumeration ${name} is defined twice, differently`);
  ENUMS[name] = values;
}

/** Complex types of the bulk entitlement and key operations: the sequence of each, in the DSL above. */
const BULK_DEFS: Record<string, string> = {
  StatusInfoType: "status:StatusType reason:string?",
  idType: "id:string? autoGenerate:boolean?",
  entitlementPKType: "entitlementId:string",
  entitlementIdentifierType: "uniqueId:string? primaryKeys:entitlementPKType?",
  productPKType: "name:string version:string",
  productIdentifierType: "uniqueId:string? primaryKeys:productPKType?",
  partNumberPKType: "partId:string",
  partNumberIdentifierType: "uniqueId:string? primaryKeys:partNumberPKType?",
  licenseModelPKType: "name:string",
  licenseModelIdentifierType: "uniqueId:string? primaryKeys:licenseModelPKType?",
  licenseTechnologyPKType: "name:string",
  licenseTechnologyIdentifierType: "uniqueId:string? primaryKeys:licenseTechnologyPKType?",
  accountPKType: "id:string",
  accountIdentifierType: "uniqueId:string? primaryKeys:accountPKType?",
  userPKType: "firstName:string lastName:string emailAddress:string phoneNumber:string?",
  userIdentifierType: "uniqueId:string? userName:string? primaryKeys:userPKType?",
  attributeDescriptorType:
    "attributeName:string stringValue:string? dateValue:date? booleanValue:boolean? integerValue:integer? arrayValue:string*",
  attributeDescriptorDataType: "attribute:attributeDescriptorType*",
  policyTermType: "duration:integer durationUnit:DurationUnit",
  policyDataType: "allowedCount:integer policyTerm:policyTermType",
  extraActivationDataType: "allowedCount:integer",
  cancelLicensePolicyDataType: "isCancelLicense:boolean",
  virtualLicensePolicyDataType: "isVirtualLicense:boolean",
  advancedReinstallPolicyType:
    "umn1Policy:policyDataType umn2Policy:policyDataType umn3Policy:policyDataType midPolicy:policyDataType",
  reinstallPolicyDataType: "defaultPolicy:policyDataType? advancedPolicy:advancedReinstallPolicyType?",
  acpiGenerationIdLicensePolicyDataType: "useACPIGenerationId:boolean",
  policyAttributesListType:
    "rehostsPolicy:policyDataType? returnsPolicy:policyDataType? repairsPolicy:policyDataType? extraActivationsPolicy:extraActivationDataType? cancelLicensePolicy:cancelLicensePolicyDataType? virtualLicensePolicy:virtualLicensePolicyDataType? reinstallPolicy:reinstallPolicyDataType? acpiGenerationIdLicensePolicy:acpiGenerationIdLicensePolicyDataType?",
  DurationType: "numDuration:integer durationUnit:DurationUnit",
  versionDateAttributesType: "versionOption:VersionDateOptionType duration:DurationType?",
  entitledProductDataType: "product:productIdentifierType? quantity:integer",
  entitledProductDataListType: "entitledProduct:entitledProductDataType*",
  channelPartnerDataType: "tierName:string accountUnit:accountIdentifierType contact:userIdentifierType? currentOwner:boolean?",
  channelPartnerDataListType: "channelPartner:channelPartnerDataType*",

  createBulkEntitlementDataType:
    "entitlementId:idType soldTo:string? product:productIdentifierType? partNumber:partNumberIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? FNPTimeZoneValue:string? policyAttributes:policyAttributesListType? shipToEmail:string? shipToAddress:string? orderId:string? orderLineNumber:string? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? description:string? numberOfCopies:integer? bulkEntitlementType:BulkEntitlementType? autoDeploy:boolean? entitledProducts:entitledProductDataListType? channelPartners:channelPartnerDataListType? allowPortalLogin:boolean?",
  createBulkEntitlementRequestType: "bulkEntitlement:createBulkEntitlementDataType+",
  failedBulkEntitlementDataType: "bulkEntitlement:createBulkEntitlementDataType? reason:string?",
  failedBulkEntitlementDataListType: "failedBulkEntitlement:failedBulkEntitlementDataType*",
  createdBulkEntitlementDataType: "recordRefNo:string uniqueId:string bulkEntitlementId:string",
  createdBulkEntitlementDataListType: "createdBulkEntitlement:createdBulkEntitlementDataType*",
  createBulkEntitlementResponseType:
    "statusInfo:StatusInfoType failedData:failedBulkEntitlementDataListType? responseData:createdBulkEntitlementDataListType?",

  updateEntitledProductDataListType: "entitledProducts:entitledProductDataType* opType:CollectionOperationType",
  updateBulkEntitlementDataType:
    "entitlementIdentifier:entitlementIdentifierType entitlementId:idType? soldTo:string? product:productIdentifierType? partNumber:partNumberIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? FNPTimeZoneValue:string? policyAttributes:policyAttributesListType? shipToEmail:string? shipToAddress:string? orderId:string? orderLineNumber:string? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? numberOfCopies:integer? description:string? autoDeploy:boolean? updatedEntitledProducts:updateEntitledProductDataListType? channelPartners:channelPartnerDataListType? allowPortalLogin:boolean?",
  updateBulkEntitlementRequestType: "bulkEntitlement:updateBulkEntitlementDataType+",
  failedUpdateBulkEntitlementDataType: "bulkEntitlement:updateBulkEntitlementDataType? reason:string?",
  failedUpdateBulkEntitlementDataListType: "failedBulkEntitlement:failedUpdateBulkEntitlementDataType*",
  updateBulkEntitlementResponseType: "statusInfo:StatusInfoType failedData:failedUpdateBulkEntitlementDataListType?",

  SimpleQueryType: "value:string searchType:simpleSearchType",
  DateQueryType: "value:date searchType:datedSearchType",
  StateQueryType: "value:StateType searchType:simpleSearchType",
  NumberQueryType: "value:integer searchType:numberSearchType",
  PartnerTierQueryType: "value:string searchType:simpleSearchType partnerTier:string? isSearchByName:boolean?",
  customAttributeQueryType:
    "attributeName:string stringValue:SimpleQueryType? numberValue:NumberQueryType? dateValue:DateQueryType? booleanValue:boolean?",
  customAttributesQueryListType: "attribute:customAttributeQueryType*",
  searchBulkEntitlementDataType:
    "entitlementId:SimpleQueryType? description:SimpleQueryType? productName:SimpleQueryType? productVersion:SimpleQueryType? productType:ProductType? partNumber:SimpleQueryType? soldTo:SimpleQueryType? shipToEmail:SimpleQueryType? shipToAddress:SimpleQueryType? isPermanent:boolean? expirationDate:DateQueryType? createdOn:DateQueryType? versionDate:DateQueryType? lastModifiedDate:DateQueryType? state:StateQueryType? licenseTechnology:SimpleQueryType? createdUserId:SimpleQueryType? customAttributes:customAttributesQueryListType? allowPortalLogin:boolean? accountUnitName:PartnerTierQueryType? currentOwnerName:SimpleQueryType?",
  customAttributeDescriptorType: "attributeName:string",
  customAttributeDescriptorDataType: "attribute:customAttributeDescriptorType*",
  bulkEntitlementResponseConfigRequestType:
    "entitlementId:boolean? allowPortalLogin:boolean? description:boolean? state:boolean? soldTo:boolean? soldToDisplayName:boolean? shipToEmail:boolean? shipToAddress:boolean? orderId:boolean? orderLineNumber:boolean? product:boolean? productDescription:boolean? partNumber:boolean? partNumberDescription:boolean? licenseModel:boolean? licenseTechnology:boolean? startDateOption:boolean? isPermanent:boolean? term:boolean? expirationDate:boolean? versionDate:boolean? versionDateAttributes:boolean? numberOfCopies:boolean? bulkEntitlementType:boolean? createdUserId:boolean? FNPTimeZoneValue:boolean? customAttributes:customAttributeDescriptorDataType?",
  getBulkEntitlementPropertiesRequestType:
    "bulkEntitlementSearchCriteria:searchBulkEntitlementDataType bulkEntitlementResponseConfig:bulkEntitlementResponseConfigRequestType batchSize:integer pageNumber:integer?",
  bulkEntitlementPropertiesType:
    "entitlementId:entitlementIdentifierType? allowPortalLogin:boolean? description:string? state:StateType? soldTo:accountIdentifierType? soldToDisplayName:string? shipToEmail:string? shipToAddress:string? orderId:string? orderLineNumber:string? product:productIdentifierType? productDescription:string? partNumber:partNumberIdentifierType? partNumberDescription:string? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseTechnology:licenseTechnologyIdentifierType? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? numberOfCopies:integer? bulkEntitlementType:BulkEntitlementType? createdUserId:string? customAttributes:attributeDescriptorDataType? entitledProducts:entitledProductDataListType? channelPartners:channelPartnerDataListType? FNPTimeZoneValue:string?",
  getBulkEntitlementPropertiesResponseType: "statusInfo:StatusInfoType bulkEntitlement:bulkEntitlementPropertiesType*",
  getBulkEntitlementCountRequestType: "bulkEntitlementSearchCriteria:searchBulkEntitlementDataType",
  getBulkEntitlementCountResponseType: "statusInfo:StatusInfoType count:integer?",

  webRegKeyDataType: "webRegKey:string* autoGenerate:boolean? numAutoGenerate:integer?",
  addWebRegKeyDataType: "bulkEntitlement:entitlementIdentifierType webRegKeys:webRegKeyDataType",
  addWebRegKeyRequestType: "webRegKeyData:addWebRegKeyDataType+ processSync:boolean?",
  webRegKeyDataListType: "webRegKeyData:addWebRegKeyDataType+",
  failedAddWebRegKeyDataType: "webRegKeyData:addWebRegKeyDataType? reason:string?",
  failedAddWebRegKeyDataListType: "failedWebRegKeyData:failedAddWebRegKeyDataType*",
  addWebRegKeyResponseType:
    "statusInfo:StatusInfoType responseData:webRegKeyDataListType? failedData:failedAddWebRegKeyDataListType?",
  getWebRegKeyCountRequestType: "bulkEntitlementIdentifier:entitlementIdentifierType",
  webRegKeyCountDataType: "totalCount:integer redeemedCount:integer",
  getWebRegKeyCountResponseType: "statusInfo:StatusInfoType responseData:webRegKeyCountDataType?",
  getWebRegKeysQueryRequestType: "bulkEntitlementIdentifier:entitlementIdentifierType batchSize:integer pageNumber:integer",
  webRegKeyType: "webRegKey:string+",
  webRegKeysDataListType: "webRegKeys:webRegKeyType?",
  getWebRegKeysQueryResponseType: "statusInfo:StatusInfoType responseData:webRegKeysDataListType?",

  entitlementStateDataType: "entitlementIdentifier:entitlementIdentifierType stateToSet:StateType",
  setEntitlementStateRequestType: "entitlement:entitlementStateDataType+",
  failedEntitlementStateDataType: "entitlement:entitlementStateDataType reason:string",
  failedEntitlementStateDataListType: "failedEntitlement:failedEntitlementStateDataType*",
  setEntitlementStateResponseType: "statusInfo:StatusInfoType failedData:failedEntitlementStateDataListType?",

  webRegKeysListType: "webRegKey:string*",
  deleteWebRegKeyRequestType: "webRegKeyList:webRegKeysListType",
  failedDeleteWebRegKeyDataType: "webRegKey:string reason:string?",
  failedDeleteWebRegKeyListType: "failedWebRegKey:failedDeleteWebRegKeyDataType*",
  deleteWebRegKeyResponseType: "statusInfo:StatusInfoType failedData:failedDeleteWebRegKeyListType?",

  deleteEntitlementDataType: "entitlementIdentifier:entitlementIdentifierType",
  deleteEntitlementRequestType: "entitlement:deleteEntitlementDataType+",
  failedDeleteEntitlementDataType: "entitlementIdentifier:entitlementIdentifierType reason:string?",
  failedDeleteEntitlementDataListType: "failedEntitlement:failedDeleteEntitlementDataType*",
  deleteEntitlementResponseType: "statusInfo:StatusInfoType failedData:failedDeleteEntitlementDataListType?",

  // Operations Licensor does not support yet: any content is read (and answered with FAILURE).
  notSupportedRequestType: "",
  notSupportedResponseType: "statusInfo:StatusInfoType",
};

/** Groups' definitions merged; a name two groups define must mean the same, checked at load. */
function mergeDefs(...groups: Record<string, string>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const g of groups)
    for (const [name, line] of Object.entries(g)) {
      if (out[name] !== undefined && out[name] !== line) throw new Error(`soap schema: ${name} is defined twice, differently`);
      out[name] = line;
    }
  return out;
}

const DEFS = mergeDefs(BULK_DEFS, ENTITLEMENTS_DEFS, LIFECYCLE_DEFS);

export interface Field {
  name: string;
  type: string;
  min: 0 | 1;
  /** 1, or Infinity for unbounded. */
  max: number;
}

/** A complex type: its fields in sequence order; `open` types accept any content (lax). */
export interface ComplexType {
  name: string;
  fields: Field[];
  open: boolean;
}

function parseFields(line: string): Field[] {
  return line
    .split(/\s+/)
    .filter(Boolean)
    .map((f) => {
      const m = /^([A-Za-z_][\w]*):([A-Za-z_][\w]*)([?*+]?)$/.exec(f);
      if (!m) throw new Error(`bad field description '${f}'`);
      const card = m[3] as string;
      return {
        name: m[1] as string,
        type: m[2] as string,
        min: card === "" || card === "+" ? 1 : 0,
        max: card === "*" || card === "+" ? Number.POSITIVE_INFINITY : 1,
      };
    });
}

/**
 * What older versions say differently in the supported types (v4 is DEFS): before v3, accounts were
 * "organizations" (`organizationUnit`, `organizationUnitName`, `organizationIdentifierType` keyed by
 * `name`); v3 keys accounts by `name`, v4 by `id`; the base version's bulk update also takes
 * `entitledProducts` after `updatedEntitledProducts`.
 */
const organizations: Record<string, string> = {
  organizationPKType: "name:string",
  organizationIdentifierType: "uniqueId:string? primaryKeys:organizationPKType?",
  channelPartnerDataType: (DEFS.channelPartnerDataType as string).replace(
    "accountUnit:accountIdentifierType",
    "organizationUnit:organizationIdentifierType",
  ),
  searchBulkEntitlementDataType: (DEFS.searchBulkEntitlementDataType as string).replace(
    "accountUnitName:",
    "organizationUnitName:",
  ),
  bulkEntitlementPropertiesType: (DEFS.bulkEntitlementPropertiesType as string).replace(
    "soldTo:accountIdentifierType",
    "soldTo:organizationIdentifierType",
  ),
};
const OVERRIDES: Record<string, Record<string, string>> = {
  base: {
    ...organizations,
    updateBulkEntitlementDataType: (DEFS.updateBulkEntitlementDataType as string).replace(
      "updatedEntitledProducts:updateEntitledProductDataListType?",
      "updatedEntitledProducts:updateEntitledProductDataListType? entitledProducts:entitledProductDataListType?",
    ),
  },
  v1: { ...organizations },
  v2: { ...organizations },
  v3: { accountPKType: "name:string" },
  v4: {},
};
for (const groupOverrides of [ENTITLEMENTS_VERSION_OVERRIDES, LIFECYCLE_VERSION_OVERRIDES])
  for (const [version, o] of Object.entries(groupOverrides)) Object.assign(OVERRIDES[version] as Record<string, string>, o);

function build(defs: Record<string, string>): Record<string, ComplexType> {
  const types: Record<string, ComplexType> = Object.fromEntries(
    Object.entries(defs).map(([name, line]) => [
      name,
      { name, fields: parseFields(line), open: name === "notSupportedRequestType" },
    ]),
  );
  // Every field names a known type: checked when the module loads, so a typo fails every test.
  for (const t of Object.values(types))
    for (const f of t.fields)
      if (!BUILTINS.has(f.type) && !ENUMS[f.type] && !types[f.type])
        throw new Error(`soap schema: ${t.name}.${f.name} names unknown type ${f.type}`);
  return types;
}

export type Types = Record<string, ComplexType>;
/** The complex types of each version, by version name (base, v1…v4). */
export const TYPES_BY_VERSION: Record<string, Types> = Object.fromEntries(
  Object.entries(OVERRIDES).map(([version, o]) => [version, build({ ...DEFS, ...o })]),
);

/**
 * The 43 operations of EntitlementOrderService (v4; base to v3 lack the maintenance line-item
 * query, listed there too, answered like any unsupported one): operation, request element,
 * response element. Supported operations are those with an entry in OPERATION_TYPES.
 */
export const OPERATIONS: readonly (readonly [string, string, string])[] = [
  ["createBulkEntitlement", "createBulkEntitlementRequest", "createBulkEntitlementResponse"],
  ["createSimpleEntitlement", "createSimpleEntitlementRequest", "createSimpleEntitlementResponse"],
  ["deleteEntitlement", "deleteEntitlementRequest", "deleteEntitlementResponse"],
  ["createWebRegKey", "addWebRegKeyRequest", "addWebRegKeyResponse"],
  ["updateBulkEntitlement", "updateBulkEntitlementRequest", "updateBulkEntitlementResponse"],
  ["updateSimpleEntitlement", "updateSimpleEntitlementRequest", "updateSimpleEntitlementResponse"],
  ["createEntitlementLineItem", "createEntitlementLineItemRequest", "createEntitlementLineItemResponse"],
  ["replaceEntitlementLineItem", "replaceEntitlementLineItemRequest", "replaceEntitlementLineItemResponse"],
  ["deleteEntitlementLineItem", "removeEntitlementLineItemRequest", "removeEntitlementLineItemResponse"],
  ["updateEntitlementLineItem", "updateEntitlementLineItemRequest", "updateEntitlementLineItemResponse"],
  ["getEntitlementsQuery", "searchEntitlementRequest", "searchEntitlementResponse"],
  ["getBulkEntitlementPropertiesQuery", "getBulkEntitlementPropertiesRequest", "getBulkEntitlementPropertiesResponse"],
  ["getBulkEntitlementCount", "getBulkEntitlementCountRequest", "getBulkEntitlementCountResponse"],
  ["getActivatableItemsQuery", "searchActivatableItemRequest", "searchActivatableItemResponse"],
  [
    "getEntitlementLineItemPropertiesQuery",
    "searchEntitlementLineItemPropertiesRequest",
    "searchEntitlementLineItemPropertiesResponse",
  ],
  [
    "getEntitlementMaintenanceLineItemPropertiesQuery",
    "searchEntitlementMaintenanceLineItemPropertiesRequest",
    "searchEntitlementMaintenanceLineItemPropertiesResponse",
  ],
  ["getEntitlementCount", "getEntitlementCountRequest", "getEntitlementCountResponse"],
  ["getActivatableItemCount", "getActivatableItemCountRequest", "getActivatableItemCountResponse"],
  ["getExactAvailableCount", "getExactAvailableCountRequest", "getExactAvailableCountResponse"],
  ["setEntitlementState", "setEntitlementStateRequest", "setEntitlementStateResponse"],
  ["getWebRegKeyCount", "getWebRegKeyCountRequest", "getWebRegKeyCountResponse"],
  ["getWebRegKeysQuery", "getWebRegKeysQueryRequest", "getWebRegKeysQueryResponse"],
  ["getEntitlementAttributesFromModel", "getEntitlementAttributesRequest", "getEntitlementAttributesResponse"],
  ["renewLicense", "renewLicenseRequest", "renewLicenseResponse"],
  ["upgradeLicense", "upgradeLicenseRequest", "upgradeLicenseResponse"],
  ["upsellLicense", "upsellLicenseRequest", "upsellLicenseResponse"],
  ["mapEntitlementsToUser", "mapEntitlementsToUserRequest", "mapEntitlementsToUserResponse"],
  ["emailEntitlement", "emailEntitlementRequest", "emailEntitlementResponse"],
  ["emailActivatableItem", "emailActivatableItemRequest", "emailActivatableItemResponse"],
  ["setLineItemState", "setLineItemStateRequest", "setLineItemStateResponse"],
  ["setMaintenanceLineItemState", "setMaintenanceLineItemStateRequest", "setMaintenanceLineItemStateResponse"],
  ["deleteWebRegKey", "deleteWebRegKeyRequest", "deleteWebRegKeyResponse"],
  ["mergeEntitlements", "mergeEntitlementsRequest", "mergeEntitlementsResponse"],
  ["transferEntitlement", "transferEntitlementsRequest", "transferEntitlementsResponse"],
  ["transferLineItem", "transferLineItemsRequest", "transferLineItemsResponse"],
  ["getStateChangeHistory", "getStateChangeHistoryRequest", "getStateChangeHistoryResponse"],
  ["linkMaintenanceLineItem", "linkMaintenanceLineItemRequest", "linkMaintenanceLineItemResponse"],
  ["splitLineItem", "splitLineItemRequest", "splitLineItemResponse"],
  ["splitBulkEntitlement", "splitBulkEntitlementRequest", "splitBulkEntitlementResponse"],
  ["getMatchingLineItems", "getMatchingLineItemsRequest", "getMatchingLineItemsResponse"],
  ["getMatchingBulkEnts", "getMatchingBulkEntsRequest", "getMatchingBulkEntsResponse"],
  ["deleteMaintenanceLineItem", "deleteMaintenanceLineItemRequest", "deleteMaintenanceLineItemResponse"],
  ["unlinkMaintenanceLineItem", "unlinkMaintenanceLineItemRequest", "unlinkMaintenanceLineItemResponse"],
];

/** The request and response types of the supported operations, by operation name. */
export const OPERATION_TYPES: Record<string, { request: string; response: string }> = {
  createBulkEntitlement: { request: "createBulkEntitlementRequestType", response: "createBulkEntitlementResponseType" },
  updateBulkEntitlement: { request: "updateBulkEntitlementRequestType", response: "updateBulkEntitlementResponseType" },
  getBulkEntitlementPropertiesQuery: {
    request: "getBulkEntitlementPropertiesRequestType",
    response: "getBulkEntitlementPropertiesResponseType",
  },
  getBulkEntitlementCount: { request: "getBulkEntitlementCountRequestType", response: "getBulkEntitlementCountResponseType" },
  createWebRegKey: { request: "addWebRegKeyRequestType", response: "addWebRegKeyResponseType" },
  getWebRegKeyCount: { request: "getWebRegKeyCountRequestType", response: "getWebRegKeyCountResponseType" },
  getWebRegKeysQuery: { request: "getWebRegKeysQueryRequestType", response: "getWebRegKeysQueryResponseType" },
  setEntitlementState: { request: "setEntitlementStateRequestType", response: "setEntitlementStateResponseType" },
  deleteWebRegKey: { request: "deleteWebRegKeyRequestType", response: "deleteWebRegKeyResponseType" },
  deleteEntitlement: { request: "deleteEntitlementRequestType", response: "deleteEntitlementResponseType" },
  ...ENTITLEMENTS_OPERATION_TYPES,
  ...LIFECYCLE_OPERATION_TYPES,
};

/** The operation's request and response types: its own, or the not-supported pair. */
export function typesOf(operation: string): { request: string; response: string; supported: boolean } {
  const t = OPERATION_TYPES[operation];
  return t
    ? { ...t, supported: true }
    : { request: "notSupportedRequestType", response: "notSupportedResponseType", supported: false };
}

/** The versions served: the base namespace and v1 to v4, each at its own path. */
export const VERSIONS = [
  { version: "base", path: "/flexnet/services/EntitlementOrderService", ns: "urn:com.macrovision:flexnet/operations" },
  { version: "v1", path: "/flexnet/services/v1/EntitlementOrderService", ns: "urn:v1.webservices.operations.flexnet.com" },
  { version: "v2", path: "/flexnet/services/v2/EntitlementOrderService", ns: "urn:v2.webservices.operations.flexnet.com" },
  { version: "v3", path: "/flexnet/services/v3/EntitlementOrderService", ns: "urn:v3.webservices.operations.flexnet.com" },
  { version: "v4", path: "/flexnet/services/v4/EntitlementOrderService", ns: "urn:v4.webservices.operations.flexnet.com" },
] as const;
export type SoapVersion = (typeof VERSIONS)[number];
