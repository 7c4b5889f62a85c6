// The app's only credential: a user-assigned managed identity, granted data-plane roles on the
// storage account and the right to publish telemetry to Application Insights. User-assigned
// (not system-assigned) so the roles exist before the function app does and survive recreating it.

@description('Region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags { *: string }

@description('Name of the user-assigned managed identity.')
param identityName string

@description('Storage account the identity gets blob, queue and table data roles on.')
param storageAccountName string

@description('Application Insights component the identity publishes telemetry to.')
param applicationInsightsName string

// Built-in role definition ids (the same in every tenant).
var storageRoleIds = {
  // Blob Data Owner rather than Contributor: the Functions host manages blob leases and the
  // Flex Consumption platform reads the deployment package with this identity.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: identityName
  location: location
  tags: tags
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(storageRoleIds): {
    name: guid(storageAccount.id, identity.id, role.value)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
      principalId: identity.properties.principalId
      // Known up front: skips the directory lookup that fails while a new identity replicates.
      principalType: 'ServicePrincipal'
    }
  }
]

resource metricsPublisherAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identity.id, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}
