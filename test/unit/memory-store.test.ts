/** The in-memory store, held to the storage contract DynamoDB is held to. */
import { createMemoryStore } from '../../lib/store/memory/index.js';
import { describeStoreContract } from '../contract/store-contract.js';

describeStoreContract('memory', createMemoryStore);
