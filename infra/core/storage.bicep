// The one storage account behind the app: the Functions host's own state, the app's tables,
// blobs and training queue, and the Flex Consumption deployment package. Data-plane access is
// Entra ID only (shared key disabled), so account keys exist but can never authorize a request.

@description('Region of the account.')
param location string

@description('Tags applied to the account.')
param tags { *: string }

@minLength(3)
@maxLength(24)
@description('Globally unique storage account name (lowercase letters and digits).')
param storageAccountName string

@description('Blob container Flex Consumption deploys the app package into.')
param deploymentContainerName string

// The training queue and the poison queue the Functions host moves failed messages to. The app
// enqueues into the first before any trigger has run, so it must exist from the start.
var queueNames = [
  'training-jobs'
  'training-jobs-poison'
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2026-06-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    // Flex Consumption without virtual network integration reaches storage over its public
    // endpoint; authorization is by Entra ID role, not by network location.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-06-01' = {
  parent: storageAccount
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2026-06-01' = {
  parent: storageAccount
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-06-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]
