// DashAI Functions: one resource group holding a Flex Consumption function app that reaches
// Storage and Application Insights through a user-assigned managed identity. No account keys,
// SAS tokens or connection strings with secrets are created, read or stored anywhere.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd sets it from AZURE_ENV_NAME). Names the resource group and seeds resource names.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. Must offer the Flex Consumption plan.')
param location string

@description('Name of the resource group to create. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Browser origins allowed to call the API (CORS), e.g. https://dashai.example.org. Empty: no cross-origin browser access.')
param corsAllowedOrigins string[] = []

@allowed([
  512
  2048
  4096
])
@description('Memory of each function app instance in MB. Training refuses a run whose estimated memory exceeds 75 % of it; README (Training, "Memory limits") lists the largest training set each size fits.')
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Upper bound on instances the app scales out to. Each training job runs on its own instance, so this also caps concurrent trainings and the bill under load.')
param maximumInstanceCount int = 40

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
// Names are computed here, not passed from module outputs, so What-If can predict every resource.
var names = {
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  storageAccount: 'st${resourceToken}'
  deploymentContainer: 'app-package'
  identity: 'id-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
}
var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    storageAccountName: names.storageAccount
    deploymentContainerName: names.deploymentContainer
  }
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: tags
    identityName: names.identity
    storageAccountName: names.storageAccount
    applicationInsightsName: names.applicationInsights
  }
  dependsOn: [
    storage
    monitoring
  ]
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: names.plan
    functionAppName: names.functionApp
    identityName: names.identity
    storageAccountName: names.storageAccount
    deploymentContainerName: names.deploymentContainer
    applicationInsightsName: names.applicationInsights
    corsAllowedOrigins: corsAllowedOrigins
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
  // The whole identity module, role assignments included, must finish before the app starts
  // using the identity; the deployment container must exist before the app points at it.
  dependsOn: [
    identity
    storage
    monitoring
  ]
}

// azd stores these outputs in the environment (.azure/<env>/.env); DEPLOY.md uses them.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = names.storageAccount
output API_BASE_URL string = 'https://${api.outputs.defaultHostName}/api/v1'
