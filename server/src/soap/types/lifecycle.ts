/**
 * Wire types of the lifecycle operations, in schema.ts's field DSL (see there). A type another group
 * also defines must be defined identically (schema.ts checks when it loads).
 *
 * Element names, order and cardinalities follow FNO's EntitlementOrderService (v4; the versions
 * before say organizations where v4 says accounts, below). The line-item identifier (used by a
 * split into a matching line item) is the entitlements group's type, written here as FNO writes it.
 */
/** Enumerations of these types (merged into schema.ts's ENUMS; the same name must list the same values). */
export const LIFECYCLE_ENUMS: Record<string, readonly string[]> = {
  StateChangeEventType: ["EVENT_CREATED", "EVENT_PROPERTY_CHANGED", "EVENT_STATE_CHANGED", "EVENT_TRANSFERRED"],
  LineItemType: ["UPGRADE", "UPSELL", "RENEWAL"],
};

export const LIFECYCLE_DEFS: Record<string, string> = {
  entitlementLineItemPKType: "activationId:string",
  entitlementLineItemIdentifierType: "uniqueId:string? primaryKeys:entitlementLineItemPKType?",

  // splitBulkEntitlement: N web register keys of a bulk entitlement to an account of another tier.
  splitBulkEntitlementInfoType:
    "bulkEntIdentifier:entitlementIdentifierType numberOfWRKs:integer targetTierName:string targetAccountUnit:accountIdentifierType targetContact:userIdentifierType? matchingBulkEntIdentifier:entitlementIdentifierType? matchingLineItemIdentifier:entitlementLineItemIdentifierType?",
  splitBulkEntitlementListType: "bulkEntitlementInfo:splitBulkEntitlementInfoType+",
  splitBulkEntitlementRequestType: "bulkEntitlementList:splitBulkEntitlementListType",
  splitBulkEntitlementDataType: "bulkEntIdentifier:entitlementIdentifierType newBulkEntIdentifier:entitlementIdentifierType?",
  splitBulkEntitlementResponseListType: "splitBulkEntitlement:splitBulkEntitlementDataType+",
  failedSplitBulkEntitlementDataType: "bulkEntitlementInfo:splitBulkEntitlementInfoType reason:string",
  failedSplitBulkEntitlementListType: "failedBulkEntitlement:failedSplitBulkEntitlementDataType+",
  splitBulkEntitlementResponseType:
    "statusInfo:StatusInfoType responseData:splitBulkEntitlementResponseListType? failedData:failedSplitBulkEntitlementListType?",

  // getMatchingBulkEnts: where such a split may go.
  getMatchingBulkEntInfoType:
    "bulkEntIdentifier:entitlementIdentifierType targetTierName:string targetAccountUnit:accountIdentifierType",
  getMatchingBulkEntsListType: "bulkEntInfo:getMatchingBulkEntInfoType+",
  getMatchingBulkEntsRequestType: "bulkEntList:getMatchingBulkEntsListType",
  matchingBulkEntDataType: "matchingBulkEntIdentifier:entitlementIdentifierType",
  getMatchingBulkEntsResponseListType: "matchingBulkEnt:matchingBulkEntDataType+",
  failedMatchingBulkEntDataType: "bulkEntInfo:getMatchingBulkEntInfoType reason:string",
  failedMatchingBulkEntsListType: "failedBulkEnt:failedMatchingBulkEntDataType+",
  getMatchingBulkEntsResponseType:
    "statusInfo:StatusInfoType responseData:getMatchingBulkEntsResponseListType? failedData:failedMatchingBulkEntsListType?",

  // transferEntitlement (transferEntitlementsRequest).
  transferEntitlementInfoType:
    "entitlementIdentifier:entitlementIdentifierType accountTo:string retainExistingIds:boolean? returnActiveFulfillments:boolean? forceTransferEvenIfNoTargetUsers:boolean? forceTransferEvenIfParentAndChildSeparated:boolean?",
  transferEntitlementsListType: "entitlementInfo:transferEntitlementInfoType+",
  transferEntitlementsRequestType: "entitlementList:transferEntitlementsListType",
  transferredLineItemMapType: "activationId:string transferredFromId:string?",
  transferredEntitlementDataType:
    "entitlementIdentifier:entitlementIdentifierType lineItemIdentifierMap:transferredLineItemMapType*",
  transferredEntitlementsListType: "transferredEntitlement:transferredEntitlementDataType+",
  failedTransferEntitlementDataType: "entitlementInfo:transferEntitlementInfoType reason:string",
  failedTransferEntitlementListType: "failedEntitlement:failedTransferEntitlementDataType+",
  transferEntitlementsResponseType:
    "statusInfo:StatusInfoType responseData:transferredEntitlementsListType? failedData:failedTransferEntitlementListType?",

  // getStateChangeHistory.
  featurePKType: "name:string version:string?",
  featureIdentifierType: "uniqueId:string? primaryKeys:featurePKType?",
  featureListType: "featureIdentifier:featureIdentifierType+",
  featureBundlePKType: "name:string",
  featureBundleIdentifierType: "uniqueId:string? primaryKeys:featureBundlePKType?",
  featureBundleListType: "featureBundleIdentifier:featureBundleIdentifierType+",
  productListType: "productIdentifier:productIdentifierType+",
  licenseModelListType: "licenseModelIdentifier:licenseModelIdentifierType+",
  entitlementListType: "entitlementIdentifier:entitlementIdentifierType+",
  getStateChangeHistoryRequestType:
    "featureList:featureListType? featureBundleList:featureBundleListType? productList:productListType? licenseModelList:licenseModelListType? simpleEntitlementList:entitlementListType? bulkEntitlementList:entitlementListType?",
  stateChangeDataType: "eventName:StateChangeEventType eventDate:dateTime userId:string description:string?",
  featureStateChangeDataType: "featureIdentifier:featureIdentifierType stateChangeRecord:stateChangeDataType*",
  featureStateChangeListType: "feature:featureStateChangeDataType*",
  featureBundleStateChangeDataType: "featureBundleIdentifier:featureBundleIdentifierType stateChangeRecord:stateChangeDataType*",
  featureBundleStateChangeListType: "featureBundle:featureBundleStateChangeDataType*",
  productStateChangeDataType: "productIdentifier:productIdentifierType stateChangeRecord:stateChangeDataType*",
  productStateChangeListType: "product:productStateChangeDataType*",
  licenseModelStateChangeDataType: "licenseModelIdentifier:licenseModelIdentifierType stateChangeRecord:stateChangeDataType*",
  licenseModelStateChangeListType: "licenseModel:licenseModelStateChangeDataType*",
  entitlementStateChangeDataType: "entitlementIdentifier:entitlementIdentifierType stateChangeRecord:stateChangeDataType*",
  entitlementStateChangeListType: "entitlement:entitlementStateChangeDataType*",
  stateChangeResponseType:
    "featureList:featureStateChangeListType? featureBundleList:featureBundleStateChangeListType? productList:productStateChangeListType? licenseModelList:licenseModelStateChangeListType? simpleEntitlementList:entitlementStateChangeListType? bulkEntitlementList:entitlementStateChangeListType?",
  getStateChangeHistoryResponseType: "statusInfo:StatusInfoType responseData:stateChangeResponseType?",

  // splitLineItem: copies of a line item to an account of another tier.
  splitLineItemInfoType:
    "lineItemIdentifier:entitlementLineItemIdentifierType numberOfCopies:integer targetTierName:string targetAccountUnit:accountIdentifierType targetContact:userIdentifierType? matchingLineItemIdentifier:entitlementLineItemIdentifierType?",
  splitLineItemListType: "lineItemInfo:splitLineItemInfoType+",
  splitLineItemRequestType: "lineItemList:splitLineItemListType",
  splitLineItemDataType: "lineItemIdentifier:entitlementLineItemIdentifierType entitlementIdentifier:entitlementIdentifierType?",
  splitLineItemResponseListType: "splitLineItem:splitLineItemDataType+",
  failedSplitLineItemDataType: "lineItemInfo:splitLineItemInfoType reason:string",
  failedSplitLineItemListType: "failedLineItem:failedSplitLineItemDataType+",
  splitLineItemResponseType:
    "statusInfo:StatusInfoType responseData:splitLineItemResponseListType? failedData:failedSplitLineItemListType?",

  // mergeEntitlements: one account's entitlements to another.
  mergeEntitlementsRequestType: "accountFrom:string accountTo:string mergeUsers:boolean? mergeEntitlements:boolean?",
  mergeEntitlementsResponseType: "statusInfo:StatusInfoType",

  // renewLicense (renewLicenseRequest): renewal line items.
  expirationTermsDataType: "term:DurationType? expirationDate:date?",
  renewParametersDataType:
    "activationId:idType isPermanent:boolean? expirationTerms:expirationTermsDataType? numberOfCopies:integer? startDate:date? startDateOption:StartDateOptionType? versionDate:date? versionDateAttributes:versionDateAttributesType? description:string? orderId:string? orderLineNumber:string? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? policyAttributes:policyAttributesListType? FNPTimeZoneValue:string? lineItemAttributes:attributeDescriptorDataType?",
  renewLineItemDataType:
    "parentLineItemIdentifier:entitlementLineItemIdentifierType renewParameters:renewParametersDataType isFull:boolean? allowActivationsOnParent:boolean? autoDeploy:boolean?",
  renewEntitlementDataType: "parentEntitlementIdentifier:entitlementIdentifierType? renewLineItemData:renewLineItemDataType+",
  renewEntitlementRequestType: "entitlementData:renewEntitlementDataType*",
  newEntitlementLineItemDataType: "uniqueId:string activationId:string",
  renewedEntitlementLineItemDataType:
    "lineItemRecordRefNo:string parentLineItemIdentifier:entitlementLineItemIdentifierType newLineItem:newEntitlementLineItemDataType",
  createdRenewEntitlementDataType:
    "entitlementRecordRefNo:string parentEntitlementIdentifier:entitlementIdentifierType renewedLineItem:renewedEntitlementLineItemDataType*",
  createdRenewEntitlementDataListType: "entitlementData:createdRenewEntitlementDataType*",
  failedRenewEntitlementDataType: "entitlementData:renewEntitlementDataType reason:string",
  failedRenewEntitlementDataListType: "failedEntitlement:failedRenewEntitlementDataType*",
  renewEntitlementResponseType:
    "statusInfo:StatusInfoType failedData:failedRenewEntitlementDataListType? responseData:createdRenewEntitlementDataListType?",

  // upgradeLicense and upsellLicense (upgradeLicenseRequest, upsellLicenseRequest): one request type.
  // createEntitlementLineItemDataType is the entitlements group's line item, written as FNO writes it.
  createEntitlementLineItemDataType:
    "activationId:idType description:string? product:productIdentifierType? partNumber:partNumberIdentifierType? licenseModel:licenseModelIdentifierType? alternateLicenseModel1:licenseModelIdentifierType? alternateLicenseModel2:licenseModelIdentifierType? licenseModelAttributes:attributeDescriptorDataType? FNPTimeZoneValue:string? policyAttributes:policyAttributesListType? orderId:string? orderLineNumber:string? numberOfCopies:integer startDate:date? startDateOption:StartDateOptionType? isPermanent:boolean? term:DurationType? expirationDate:date? versionDate:date? versionDateAttributes:versionDateAttributesType? lineItemType:LineItemType? entitledProducts:entitledProductDataListType? lineItemAttributes:attributeDescriptorDataType?",
  lineItemLifeCycleDataType:
    "parentLineItemIdentifier:entitlementLineItemIdentifierType lineItem:createEntitlementLineItemDataType isFull:boolean? allowActivationsOnParent:boolean? autoDeploy:boolean?",
  entitlementLifeCycleDataType: "parentEntitlementIdentifier:entitlementIdentifierType? lineItemData:lineItemLifeCycleDataType+",
  EntitlementLifeCycleRequestType: "entitlementData:entitlementLifeCycleDataType*",
  lifeCycleLineItemDataType:
    "lineItemRecordRefNo:string parentLineItemIdentifier:entitlementLineItemIdentifierType newLineItem:newEntitlementLineItemDataType",
  createdEntitlementLifeCycleDataType:
    "entitlementRecordRefNo:string parentEntitlementIdentifier:entitlementIdentifierType createdLineItemData:lifeCycleLineItemDataType*",
  createdEntitlementLifeCycleDataListType: "entitlementData:createdEntitlementLifeCycleDataType*",
  failedEntitlementLifeCycleDataType: "entitlementData:entitlementLifeCycleDataType reason:string",
  failedEntitlementLifeCycleDataListType: "failedEntitlement:failedEntitlementLifeCycleDataType*",
  EntitlementLifeCycleResponseType:
    "statusInfo:StatusInfoType failedData:failedEntitlementLifeCycleDataListType? responseData:createdEntitlementLifeCycleDataListType?",

  // emailEntitlement: the entitlement certificate through the outbox.
  emailContactListType: "emailId:string*",
  emailEntitlementRequestType:
    "entitlementIdentifier:entitlementIdentifierType ignoreExistingEmailList:boolean? validateEmailAddresses:boolean? emailIdList:emailContactListType? ccEmailIdList:emailContactListType? bccEmailIdList:emailContactListType? locale:string?",
  emailEntitlementResponseType: "statusInfo:StatusInfoType",
};

/** Request and response types of the supported lifecycle operations, by operation name. */
export const LIFECYCLE_OPERATION_TYPES: Record<string, { request: string; response: string }> = {
  splitBulkEntitlement: { request: "splitBulkEntitlementRequestType", response: "splitBulkEntitlementResponseType" },
  getMatchingBulkEnts: { request: "getMatchingBulkEntsRequestType", response: "getMatchingBulkEntsResponseType" },
  transferEntitlement: { request: "transferEntitlementsRequestType", response: "transferEntitlementsResponseType" },
  getStateChangeHistory: { request: "getStateChangeHistoryRequestType", response: "getStateChangeHistoryResponseType" },
  emailEntitlement: { request: "emailEntitlementRequestType", response: "emailEntitlementResponseType" },
  splitLineItem: { request: "splitLineItemRequestType", response: "splitLineItemResponseType" },
  mergeEntitlements: { request: "mergeEntitlementsRequestType", response: "mergeEntitlementsResponseType" },
  renewLicense: { request: "renewEntitlementRequestType", response: "renewEntitlementResponseType" },
  upgradeLicense: { request: "EntitlementLifeCycleRequestType", response: "EntitlementLifeCycleResponseType" },
  upsellLicense: { request: "EntitlementLifeCycleRequestType", response: "EntitlementLifeCycleResponseType" },
};

const v4 = LIFECYCLE_DEFS as Record<string, string>;
/** Before v3 the target is an organization (`targetOrganizationUnit`, `organizationTo`, `organizationFrom`). */
const organizations: Record<string, string> = {
  splitBulkEntitlementInfoType: (v4.splitBulkEntitlementInfoType as string).replace(
    "targetAccountUnit:accountIdentifierType",
    "targetOrganizationUnit:organizationIdentifierType",
  ),
  getMatchingBulkEntInfoType: (v4.getMatchingBulkEntInfoType as string).replace(
    "targetAccountUnit:accountIdentifierType",
    "targetOrganizationUnit:organizationIdentifierType",
  ),
  transferEntitlementInfoType: (v4.transferEntitlementInfoType as string).replace("accountTo:", "organizationTo:"),
  splitLineItemInfoType: (v4.splitLineItemInfoType as string).replace(
    "targetAccountUnit:accountIdentifierType",
    "targetOrganizationUnit:organizationIdentifierType",
  ),
  mergeEntitlementsRequestType: (v4.mergeEntitlementsRequestType as string)
    .replace("accountFrom:", "organizationFrom:")
    .replace("accountTo:", "organizationTo:"),
};
/** Before v4 emailEntitlement has no cc and bcc lists. */
const noCopies: Record<string, string> = {
  emailEntitlementRequestType: (v4.emailEntitlementRequestType as string).replace(
    " ccEmailIdList:emailContactListType? bccEmailIdList:emailContactListType?",
    "",
  ),
};

/** What versions before v4 say differently in these types (see schema.ts's OVERRIDES), by version. */
export const LIFECYCLE_VERSION_OVERRIDES: Partial<Record<"base" | "v1" | "v2" | "v3", Record<string, string>>> = {
  base: { ...organizations, ...noCopies },
  v1: { ...organizations, ...noCopies },
  v2: { ...organizations, ...noCopies },
  v3: { ...noCopies },
};
