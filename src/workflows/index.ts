export { taskWorkflow } from './taskWorkflow';
