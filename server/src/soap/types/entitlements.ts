/**
 * Wire types of the simple-entitlement, line-item and entitlement-query operations, in schema.ts's
 * field DSL (see there). Each FNO type is described whole, every field in FNO's order: fields
 * Licensor does not support are read and the item refused with a reason naming them (ops/entitlements.ts).
 * A type another group also defines must be defined identically (schema.ts checks when it loads).
 */

/** Enumerations these types use beyond schema.ts's. */
export const ENTITLEMENTS_ENUMS: Record<string, readonly string[]> = {
  CreateOrUpdateOperationType: ["CREATE_OR_UPDATE", "CREATE_OR_IGNORE"],
  ActivatableItemType: ["WEBREGKEY", "LINEITEM"],
  LineItemType: ["UPGRADE", "UPSELL", "RENEWAL"],
};

export const ENTITLEMENTS_DEFS: Record<string, string> = {
  createSimpleEntitlementRequestType: "simpleEntitlement:createSimpleEntitlementDataType+ opType:CreateOrUpdateOperationType?",
  createSimpleEntitlementResponseType:
    "statusInfo:StatusInfoType failedData:failedSimpleEntitlementDataListType? responseData:createdSimpleEntitlementDataListType?",
  updateSimpleEntitlementRequestType: "simpleEntitlement:updateSimpleEntitlementDataType+",
  updateSimpleEntitlementResponseType: "statusInfo:StatusInfoType failedData:failedUpdateSimpleEntitlementDataListType?",
  addOnlyEntitlementLineItemRequestType: "lineItem:addEntitlementLineItemDataType+ opType:CreateOrUpdateOperationType?",
  addOnlyEntitlementLineItemResponseType:
    "statusInfo:StatusInfoType failedData:failedAddEntitlementLineItemDataListType? responseData:addedEntitlementLineItemDataListType?",
  updateEntitlementLineItemRequestType: "lineItemData:updateEntitlementLineItemDataType+",
  updateEntitlementLineItemResponseType: "statusInfo:StatusInfoType failedData:failedUpdateEntitlementLineItemDataListType?",
  removeEntitlementLineItemRequestType: "lineItemData:removeEntitlementLineItemDataType+",
  removeEntitlementLineItemResponseType: "statusInfo:StatusInfoType failedData:failedRemoveEntitlementLineItemDataListType?",
  setLineItemStateRequestType: "lineItem:lineItemStateDataType+",
  setLineItemStateResponseType: "statusInfo:StatusInfoType failedData:failedLineItemStateDataListType?",
  searchEntitlementRequestType: "entitlementSearchCriteria:searchEntitlementDataType batchSize:integer pageNumber:integer?",
  searchEntitlementResponseType: "statusInfo:StatusInfoType entitlement:entitlementDataType*",
  getEntitlementCountRequestType: "queryParams:searchEntitlementDataType",
  getEntitlementCountResponseType: "statusInfo:StatusInfoType count:integer?",
  searchActivatableItemRequestType:
    "activatableItemSearchCriteria:searchActivatableItemDataType batchSize:integer pageNumber:integer?",
  searchActivatableItemResponseType: "statusInfo:StatusInfoType activatableItem:activatableItemDetailType*",
  getActivatableItemCountRequestType: "queryParams:searchActivatableItemDataType restrictToItemsReadyToActivate:boolean?",
  getActivatableItemCountResponseType: "statusInfo:StatusInfoType count:integer?",
  getExactAvailableCountRequestType: "activationId:entitlementLineItemIdentifierType?",
  getExactAvailableCountResponseType: "statusInfo:StatusInfoType count:integer?",
  searchEntitlementLineItemPropertiesRequestType:
    "queryParams:searchActivatableItemDataType entitlementLineItemResponseConfig:entitlementLineItemResponseConfigRequestType batchSize:integer pageNumber:integer?",
  searchEntitlementLineItemPropertiesResponseType:
    "statusInfo:StatusInfoType entitlementLineItem:entitlementLineItemPropertiesType*",
  createSimpleEntitlementDataType:
    "entitlementId:idType description:string? soldTo:string? shipToEmail:string? shipToAddress:string? emailTemplateVariation:string? lineItems:createEntitlementLineItemDataType* maintenanceLineItems:createMaintenanceLineItemDataType* autoDeploy:boolean? channelPartners:channelPartnerDataListType? allowPortalLogin:boolean? entitlementAttributes:attributeDescriptorDataType?",
  failedSimpleEntitlementDataListType: "failedSimpleEntitlement:failedSimpleEntitlementDataType*",
  createdSimpleEntitlementDataListType: "createdSimpleEntitlement:createdSimpleEntitlementDataType*",
  updateSimpleEntitlementDataType:
    "entitlementIdentifier:entitlementIdentifierType entitlementId:idType? description:string? soldTo:string? shipToEmail:string? shipToAddress:string? emailTemplateVariation:string? autoDeploy:boolean? channelPartners:channelPartnerDataListType? allowPortalLogin:boolean? entitlementAttributes:attributeDescriptorDataType?",
  failedUpdateSimpleEntitlementDataListType: "failedSimpleEntitlement:failedUpdateSimpleEntitlementDataType*",
  addEntitlementLineItemDataType:
    "entitlementIdentifier:entitlementIdentifierType lineItems:createEntitlementLineItemDataType* maintenanceLineItems:createMaintenanceLineItemDataType* autoDeploy:boolean?",
  failedAddEntitlementLineItemDataListType: "failedLineItemData:failedAddEntitlementLineItemDataType*",
  addedEntitlementLineItemDataListType: "addedLineItems:addedEntitlementLineItemDataType*",
  updateEntitlementLineItemDataType:
    "entitlementIdentifier:entitlementIdentifierType lineItemData:updateLineItemDataType* maintenanceLineItemData:updateMaintenanceLineItemDataType* autoDeploy:boolean?",
  failedUpdateEntitlementLineItemDataListType: "failedData:failedUpdateEntitlementLineItemDataType*",
  removeEntitlementLineItemDataType:
    "entitlementIdentifier:entitlementIdentifierType lineItemIdentifier:entitlementLineItemIdentifierType*",
  failedRemoveEntitlementLineItemDataListType: "failedData:failedRemoveEntitlementLineItemDataType*",
  lineItemStateDataType: "lineItemIdentifier:entitlementLineItemIdentifierType stateToSet:StateType includeChildItems:boolean?",
  failedLineItemStateDataListType: "failedLineItem:failedLineItemStateDataType*",
  searchEntitlementDataType:
    "entitlementId:SimpleQueryType? entDescription:SimpleQueryType? productName:SimpleQueryType? productVersion:SimpleQueryType? productType:ProductType? partNumber:SimpleQueryType? isBulk:boolean? soldTo:SimpleQueryType? shipToEmail:SimpleQueryType? contactEmail:SimpleQueryType? shipToAddress:SimpleQueryType? emailTemplateVariation:SimpleQueryType? startDate:DateQueryType? isPermanent:boolean? expirationDate:DateQueryType? createdOn:DateQueryType? versionDate:DateQueryType? lastModifiedDate:DateQueryType? description:SimpleQueryType? state:StateQueryType? licenseTechnology:SimpleQueryType? createdUserId:SimpleQueryType? accountUnitName:PartnerTierQueryType? currentOwnerName:SimpleQueryType? maintStartDate:DateQueryType? maintIsPermanent:boolean? maintExpirationDate:DateQueryType? entitlementAttributes:entCustomAttributesQueryListType?",
  entitlementDataType: "simpleEntitlement:simpleEntitlementDataType? bulkEntitlement:bulkEntitlementDataType?",
  searchActivatableItemDataType:
    "parentBulkEntitlementId:SimpleQueryType? entitlementId:SimpleQueryType? activationId:SimpleQueryType? productName:SimpleQueryType? productVersion:SimpleQueryType? productType:ProductType? partNumber:SimpleQueryType? startDate:DateQueryType? isPermanent:boolean? expirationDate:DateQueryType? versionDate:DateQueryType? licenseTechnology:SimpleQueryType? orderId:SimpleQueryType? orderLineNumber:SimpleQueryType? withNoOrderId:boolean? restrictToItemsWithCount:boolean? fulfilledAmount:NumberQueryType? userId:string? customAttributes:customAttributesQueryListType? soldTo:SimpleQueryType? parentBulkEntSoldTo:SimpleQueryType? activatableItemType:ActivatableItemType? allowPortalLogin:boolean? accountUnitName:PartnerTierQueryType? currentOwnerName:SimpleQueryType? lineItemParentLineItemId:SimpleQueryType? createdOnDateTime:DateTimeQueryType? lastModifiedDateTime:DateTimeQueryType? lineItemAttributes:lineItemCustomAttributesQueryListType?",
  activatableItemDetailType:
    "activatableItemType:ActivatableItemType parentBulkEntitlementId:string? entitlementId:string soldTo:string shipToEmail:string? shipToAddress:string? entitlementState:StateType? activatableItemData:entitlementLineItemDataType channelPartners:channelPartnerDataListType? entitlementAttributes:attributeDescriptorDataType?",
  entitlementLineItemIdentifierType: "uniqueId:string? primaryKeys:entitlementLineItemPKType?",
  entitlementLineItemResponseConfigRequestType:
    "activationId:boolean? description:boolean? state:boolean? activatableItemType:boolean? orderId:boolean? orderLineNumber:boolean? entitlementId:boolean? allowPortalLogin:boolean? soldTo:boolean? soldToDisplayName:boolean? entitlementState:boolean? entitlementDescription:boolean? shipToEmail:boolean? shipToAddress:boolean? parentBulkEntitlementId:boolean? bulkEntSoldTo:boolean? bulkEntSoldToDisplayName:boolean? product:boolean? productDescription:boolean? partNumber:boolean? partNumberDescription:boolean? licenseTechnology:boolean? licenseModel:boolean? lineItemSupportAction:boolean? parentLineItem:boolean? startDate:boolean? startDateOption:boolean? isPermanent:boolean? term:boolean? expirationDate:boolean? versionDate:boolean? versionDateAttributes:boolean? numberOfCopies:boolean? fulfilledAmount:boolean? numberOfRemainingCopies:boolean? isTrusted:boolean? customAttributes:customAttributeDescriptorDataType? maintenance:boolean? maintenancePartNumber:boolean? FNPTimeZoneValue:boolean? createdOnDateTime:boolean? lastModifiedDateTime:boolean? lineItemAttributes:boolean? maintenanceLineItemAttributes:boolean? transferredFromLineItem:boolean? splitFromLineItem:boolean? fetchCreatedBy:boolean? fetchLastModifiedBy:boolean?",
  entitlementLineItemPropertiesType:
    "activationId:entitlementLineItemIdentifierType? description:string? state:StateType? activatableItemType:ActivatableItemType? orderId:string? orderLineNumber:string? entitlementId:entitlementIdentifierType? soldTo:accountIdentifierType? soldToDisplayName:string? entitlementState:StateType? entitlementDescription:string? allowPortalLogin:boolean? shipToEmail:string? shipToAddress:string? parentBulkEntitlementId:entitlementIdentifierType? bulkEntSoldTo:accountIdentifierType? bulkEntSoldToDisplayName:string? product:productIdentifierType? productDescription:string? partNumber:partNumberIdentifierType? partNumberDescription:string? licenseTechnology:licenseTechnologyIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? lineItemSupportAction:LineItemType? parentLineItem:entitlementLineItemIdentifierType? startDate:date? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? numberOfCopies:integer? fulfilledAmount:integer? numberOfRemainingCopies:integer? isTrusted:boolean? customAttributes:attributeDescriptorDataType? entitledProducts:entitledProductDataListType? channelPartners:channelPartnerDataListType? maintenanceLineItems:maintenanceLineItemPropertiesType* FNPTimeZoneValue:string? createdOnDateTime:dateTime? lastModifiedDateTime:dateTime? createdBy:string? lastModifiedBy:string? lineItemAttributes:attributeDescriptorDataType? transferredFromLineItem:string? splitFromLineItem:string?",
  createEntitlementLineItemDataType:
    "activationId:idType description:string? product:productIdentifierType? partNumber:partNumberIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? FNPTimeZoneValue:string? policyAttributes:policyAttributesListType? orderId:string? orderLineNumber:string? numberOfCopies:integer startDate:date? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? lineItemType:LineItemType? entitledProducts:entitledProductDataListType? lineItemAttributes:attributeDescriptorDataType?",
  createMaintenanceLineItemDataType:
    "activationId:idType maintenanceProduct:productIdentifierType? partNumber:partNumberIdentifierType? orderId:string? orderLineNumber:string? startDate:date? expirationDate:date? isPermanent:boolean? parentLineItem:entitlementLineItemIdentifierType? associatedLineItems:entitlementLineItemIdentifierType* maintenanceLineItemAttributes:attributeDescriptorDataType?",
  failedSimpleEntitlementDataType: "simpleEntitlement:createSimpleEntitlementDataType? reason:string?",
  createdSimpleEntitlementDataType:
    "recordRefNo:string uniqueId:string entitlementId:string lineItemUniqueIds:string* maintenanceLineItemUniqueIds:string* lineItemIdentifiers:entitlementLineItemIdentifierType* maintenanceLineItemIdentifiers:entitlementLineItemIdentifierType*",
  failedUpdateSimpleEntitlementDataType: "simpleEntitlement:updateSimpleEntitlementDataType? reason:string?",
  failedAddEntitlementLineItemDataType: "lineItem:addEntitlementLineItemDataType? reason:string?",
  addedEntitlementLineItemDataType:
    "entitlementIdentifier:entitlementIdentifierType lineItemUniqueIds:string* maintenanceLineItemUniqueIds:string* lineItemIdentifiers:entitlementLineItemIdentifierType* maintenanceLineItemIdentifiers:entitlementLineItemIdentifierType*",
  updateLineItemDataType:
    "lineItemIdentifier:entitlementLineItemIdentifierType activationId:idType? description:string? product:productIdentifierType? partNumber:partNumberIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? FNPTimeZoneValue:string? policyAttributes:policyAttributesListType? orderId:string? orderLineNumber:string? numberOfCopies:integer? startDate:date? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? parentLineItem:entitlementLineItemIdentifierType? updatedEntitledProducts:updateEntitledProductDataListType? entitledProducts:entitledProductDataListType? lineItemAttributes:attributeDescriptorDataType?",
  updateMaintenanceLineItemDataType:
    "lineItemIdentifier:entitlementLineItemIdentifierType activationId:idType? maintenanceProduct:productIdentifierType? partNumber:partNumberIdentifierType? orderId:string? orderLineNumber:string? startDate:date? expirationDate:date? isPermanent:boolean? parentLineItem:entitlementLineItemIdentifierType? maintenanceLineItemAttributes:attributeDescriptorDataType?",
  failedUpdateEntitlementLineItemDataType: "failedData:updateEntitlementLineItemDataType? reason:string?",
  failedRemoveEntitlementLineItemDataType: "failedData:removeEntitlementLineItemDataType? reason:string?",
  failedLineItemStateDataType: "lineItem:lineItemStateDataType reason:string",
  entCustomAttributesQueryListType: "attribute:entCustomAttributeQueryType*",
  simpleEntitlementDataType:
    "entitlementId:idType lastModifiedDateTime:dateTime? description:string? soldTo:string soldToName:string? shipToEmail:string? shipToAddress:string? emailTemplateVariation:string? state:StateType? createdUserId:string? lineItems:entitlementLineItemDataType* maintenanceLineItems:maintenanceLineItemDataType* channelPartners:channelPartnerDataListType? allowPortalLogin:boolean? entitlementAttributes:attributeDescriptorDataType?",
  bulkEntitlementDataType:
    "entitlementId:idType soldTo:string? product:productIdentifierType? partNumber:partNumberIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? FNPTimeZoneValue:string? policyAttributes:policyAttributesListType? shipToEmail:string? shipToAddress:string? orderId:string? orderLineNumber:string? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? description:string? numberOfCopies:integer? bulkEntitlementType:BulkEntitlementType? autoDeploy:boolean? entitledProducts:entitledProductDataListType? channelPartners:channelPartnerDataListType? allowPortalLogin:boolean? state:StateType? createdUserId:string? licenseTechnology:licenseTechnologyIdentifierType?",
  DateTimeQueryType: "value:dateTime searchType:datedSearchType",
  lineItemCustomAttributesQueryListType: "attribute:lineItemCustomAttributeQueryType*",
  entitlementLineItemDataType:
    "activationId:idType description:string? product:productIdentifierType? partNumber:partNumberIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? FNPTimeZoneValue:string? policyAttributes:policyAttributesListType? orderId:string? orderLineNumber:string? numberOfCopies:integer startDate:date? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? lineItemType:LineItemType? entitledProducts:entitledProductDataListType? lineItemAttributes:attributeDescriptorDataType? productLine:productCategoryDataType? numberOfRemainingCopies:integer? fulfilledCount:integer? availableExtraActivations:integer? isTrustedType:boolean? state:StateType? licenseTechnology:licenseTechnologyIdentifierType? parentLineItem:entitlementLineItemIdentifierType? createdOnDateTime:dateTime? lastModifiedDateTime:dateTime? overdraftMax:integer? remainingOverdraftCount:integer?",
  entitlementLineItemPKType: "activationId:string",
  maintenanceLineItemPropertiesType:
    "activationId:entitlementLineItemIdentifierType maintenanceProduct:productIdentifierType? partNumber:partNumberIdentifierType? orderId:string? orderLineNumber:string? startDate:date? expirationDate:date? isPermanent:boolean? state:StateType? maintenanceLineItemAttributes:attributeDescriptorDataType?",
  entCustomAttributeQueryType: "attributeName:string stringValue:SimpleQueryType?",
  maintenanceLineItemDataType:
    "activationId:idType maintenanceProduct:productIdentifierType? partNumber:partNumberIdentifierType? orderId:string? orderLineNumber:string? startDate:date? expirationDate:date? isPermanent:boolean? parentLineItem:entitlementLineItemIdentifierType? associatedLineItems:entitlementLineItemIdentifierType* maintenanceLineItemAttributes:attributeDescriptorDataType? state:StateType?",
  lineItemCustomAttributeQueryType: "attributeName:string stringValue:SimpleQueryType?",
  productCategoryDataType: "uniqueId:string? name:string? description:string?",
};

/** Request and response types of the supported entitlements operations, by operation name. */
export const ENTITLEMENTS_OPERATION_TYPES: Record<string, { request: string; response: string }> = {
  createSimpleEntitlement: { request: "createSimpleEntitlementRequestType", response: "createSimpleEntitlementResponseType" },
  updateSimpleEntitlement: { request: "updateSimpleEntitlementRequestType", response: "updateSimpleEntitlementResponseType" },
  createEntitlementLineItem: {
    request: "addOnlyEntitlementLineItemRequestType",
    response: "addOnlyEntitlementLineItemResponseType",
  },
  updateEntitlementLineItem: {
    request: "updateEntitlementLineItemRequestType",
    response: "updateEntitlementLineItemResponseType",
  },
  deleteEntitlementLineItem: {
    request: "removeEntitlementLineItemRequestType",
    response: "removeEntitlementLineItemResponseType",
  },
  setLineItemState: { request: "setLineItemStateRequestType", response: "setLineItemStateResponseType" },
  getEntitlementsQuery: { request: "searchEntitlementRequestType", response: "searchEntitlementResponseType" },
  getEntitlementCount: { request: "getEntitlementCountRequestType", response: "getEntitlementCountResponseType" },
  getActivatableItemsQuery: { request: "searchActivatableItemRequestType", response: "searchActivatableItemResponseType" },
  getActivatableItemCount: { request: "getActivatableItemCountRequestType", response: "getActivatableItemCountResponseType" },
  getExactAvailableCount: { request: "getExactAvailableCountRequestType", response: "getExactAvailableCountResponseType" },
  getEntitlementLineItemPropertiesQuery: {
    request: "searchEntitlementLineItemPropertiesRequestType",
    response: "searchEntitlementLineItemPropertiesResponseType",
  },
};

type Edit = { drop?: string[]; retype?: Record<string, string>; rename?: Record<string, string> };

/** A type's v4 line with fields left out, retyped or renamed in place (the older versions keep FNO's order). */
function edited(type: string, e: Edit): string {
  const line = ENTITLEMENTS_DEFS[type];
  if (line === undefined) throw new Error(`soap schema: no type ${type} to edit`);
  return line
    .split(" ")
    .filter((f) => !e.drop?.includes(f.slice(0, f.indexOf(":"))))
    .map((f) => {
      const [name, type] = f.split(":") as [string, string];
      const card = /[?*+]$/.test(type) ? type.slice(-1) : "";
      const bare = card ? type.slice(0, -1) : type;
      return `${e.rename?.[name] ?? name}:${e.retype?.[name] ?? bare}${card}`;
    })
    .join(" ");
}

function editAll(edits: Record<string, Edit>): Record<string, string> {
  return Object.fromEntries(Object.entries(edits).map(([type, e]) => [type, edited(type, e)]));
}

const merge = (...all: Record<string, Edit>[]): Record<string, Edit> => {
  const out: Record<string, Edit> = {};
  for (const edits of all)
    for (const [type, e] of Object.entries(edits)) {
      const o = out[type] ?? {};
      out[type] = {
        drop: [...(o.drop ?? []), ...(e.drop ?? [])],
        retype: { ...o.retype, ...e.retype },
        rename: { ...o.rename, ...e.rename },
      };
    }
  return out;
};

// What each version lacks or names differently, from an element-by-element reading of FNO's WSDLs.
/** v3 lacks v4's contactEmail search and the createdBy/lastModifiedBy line-item properties. */
const V3: Record<string, Edit> = {
  searchEntitlementDataType: { drop: ["contactEmail"] },
  entitlementLineItemResponseConfigRequestType: { drop: ["fetchCreatedBy", "fetchLastModifiedBy"] },
  entitlementLineItemPropertiesType: { drop: ["createdBy", "lastModifiedBy"] },
};
/** v2: organizations rather than accounts, no email template variation, soldToName, productLine or fulfilledCount. */
const V2: Record<string, Edit> = merge(V3, {
  searchEntitlementDataType: { drop: ["emailTemplateVariation"], rename: { accountUnitName: "organizationUnitName" } },
  searchActivatableItemDataType: { drop: ["orderLineNumber"], rename: { accountUnitName: "organizationUnitName" } },
  entitlementLineItemPropertiesType: {
    retype: { soldTo: "organizationIdentifierType", bulkEntSoldTo: "organizationIdentifierType" },
  },
  createSimpleEntitlementDataType: { drop: ["emailTemplateVariation"] },
  updateSimpleEntitlementDataType: { drop: ["emailTemplateVariation"] },
  simpleEntitlementDataType: { drop: ["lastModifiedDateTime", "soldToName", "emailTemplateVariation"] },
  entitlementLineItemDataType: { drop: ["productLine", "fulfilledCount"] },
});
/** v1: no maintenance line-item attributes, no transferred/split-from line items. */
const V1: Record<string, Edit> = merge(V2, {
  entitlementLineItemPropertiesType: { drop: ["transferredFromLineItem", "splitFromLineItem"] },
  entitlementLineItemResponseConfigRequestType: {
    drop: ["maintenanceLineItemAttributes", "transferredFromLineItem", "splitFromLineItem"],
  },
  createMaintenanceLineItemDataType: { drop: ["maintenanceLineItemAttributes"] },
  updateMaintenanceLineItemDataType: { drop: ["maintenanceLineItemAttributes"] },
  maintenanceLineItemDataType: { drop: ["maintenanceLineItemAttributes"] },
  maintenanceLineItemPropertiesType: { drop: ["maintenanceLineItemAttributes"] },
});
/** base: no opType on creating (its createEntitlementLineItem type is FNO's addOrReplace one, the same fields). */
const BASE: Record<string, Edit> = merge(V1, {
  createSimpleEntitlementRequestType: { drop: ["opType"] },
  addOnlyEntitlementLineItemRequestType: { drop: ["opType"] },
});

/** What versions before v4 say differently in these types (see schema.ts's OVERRIDES), by version. */
export const ENTITLEMENTS_VERSION_OVERRIDES: Partial<Record<"base" | "v1" | "v2" | "v3", Record<string, string>>> = {
  base: editAll(BASE),
  v1: editAll(V1),
  v2: editAll(V2),
  v3: editAll(V3),
};
