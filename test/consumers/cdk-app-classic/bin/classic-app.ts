#!/usr/bin/env node
import 'source-map-support/register';
import * as cdk from 'aws-cdk-lib';
import { ClassicAppStack } from '../lib/classic-app-stack';

const app = new cdk.App();
new ClassicAppStack(app, 'ClassicAppStack', {});
